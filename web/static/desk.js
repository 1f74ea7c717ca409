// The live desk's pages (web/desk.py): the queue refreshed every two seconds, a chat's new
// lines every second, and replies sent without leaving the page. A signed-out agent is
// told so and keeps what they typed.
(function () {
  "use strict";
  const status = document.getElementById("status");

  function say(text, link) {
    status.textContent = text;
    if (link) {
      const a = document.createElement("a");
      a.href = link.href;
      a.textContent = link.text;
      status.append(" ", a);
    }
  }

  function signedOut() {
    say("Your session has ended.", { href: "/desk", text: "Sign in again" });
  }

  async function getJson(url) {
    const response = await fetch(url, { credentials: "same-origin", cache: "no-store" });
    if (response.status === 401) {
      signedOut();
      return null;
    }
    if (!response.ok) {
      say("The desk is not answering right now; trying again.");
      return null;
    }
    return response.json();
  }

  function cell(row, text) {
    const td = document.createElement("td");
    td.textContent = text;
    row.append(td);
    return td;
  }

  // ---- the queue ------------------------------------------------------------------------
  const queue = document.getElementById("queue");

  function takeButton(conversationId) {
    const form = document.createElement("form");
    form.method = "post";
    form.action = "/desk/take";
    const hidden = document.createElement("input");
    hidden.type = "hidden";
    hidden.name = "conversation_id";
    hidden.value = conversationId;
    const button = document.createElement("button");
    button.type = "submit";
    button.textContent = "Take";
    form.append(hidden, button);
    return form;
  }

  async function refreshQueue() {
    const data = await getJson("/desk/queue.json");
    if (!data) return;
    status.textContent = "";
    document.getElementById("present").textContent =
      `Agents at the desk: ${data.agents_present}. Waiting: ` +
      `${data.queue.filter((entry) => entry.state === "waiting").length}.`;
    queue.replaceChildren();
    if (!data.queue.length) {
      const row = document.createElement("tr");
      cell(row, "Nobody is waiting.").colSpan = 6;
      queue.append(row);
    }
    for (const entry of data.queue) {
      const row = document.createElement("tr");
      row.dataset.conversation = entry.conversation_id;
      cell(row, entry.short_id);
      cell(row, entry.waited);
      cell(row, entry.topic);
      cell(row, entry.step);
      cell(row, entry.proven ? "yes" : "no");
      const action = cell(row, "");
      if (entry.state === "waiting") action.append(takeButton(entry.conversation_id));
      else if (entry.mine) {
        const open = document.createElement("a");
        open.href = `/desk/chat/${encodeURIComponent(entry.conversation_id)}`;
        open.textContent = "Open your chat";
        action.append(open);
      } else action.textContent = `with ${entry.agent}`;
      queue.append(row);
    }
  }

  // ---- a chat ---------------------------------------------------------------------------
  const transcript = document.getElementById("transcript");
  let last = 0;
  let reading = false;

  function addLine(line) {
    const p = document.createElement("p");
    p.className = `line ${line.who}`;
    if (line.name) {
      const who = document.createElement("span");
      who.className = "who";
      who.textContent = line.name;
      p.append(who);
    }
    p.append(document.createTextNode(line.text));
    transcript.append(p);
    p.scrollIntoView({ block: "end" });
  }

  // One read at a time, so no line is added twice.
  async function refreshChat() {
    if (reading) return;
    reading = true;
    try {
      await readChat();
    } finally {
      reading = false;
    }
  }

  async function readChat() {
    const id = encodeURIComponent(transcript.dataset.conversation);
    const data = await getJson(`/desk/chat/${id}/events.json?after=${last}`);
    if (!data) return;
    if (!data.mine) {
      say("This chat has ended or is no longer yours.", { href: "/desk", text: "Back to the queue" });
      return;
    }
    if (status.textContent.startsWith("The desk")) status.textContent = "";
    data.lines.forEach(addLine);
    last = data.last;
  }

  async function sendReply(event) {
    event.preventDefault();
    const box = document.getElementById("text");
    const text = box.value.trim();
    if (!text) return;
    const id = encodeURIComponent(transcript.dataset.conversation);
    const response = await fetch(`/desk/chat/${id}/reply`, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ text }),
    });
    if (response.status === 401) {
      signedOut();
      return;
    }
    if (!response.ok) {
      say("Your reply was not sent; it is still in the box. Try again.");
      return;
    }
    box.value = "";
    status.textContent = "";
    refreshChat();
  }

  function every(ms, task) {
    task();
    setInterval(task, ms);
  }

  if (queue) every(2000, refreshQueue);
  if (transcript) {
    document.getElementById("reply").addEventListener("submit", sendReply);
    every(1000, refreshChat);
  }
})();
