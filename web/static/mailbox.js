// Demo mailbox: lists what the account service "sent" to an address (read through the page server).
(function () {
  "use strict";
  const form = document.getElementById("mailbox-form");
  const input = document.getElementById("mailbox-address");
  const list = document.getElementById("mailbox-list");
  const status = document.getElementById("mailbox-status");
  let timer = null;

  function mailItem(mail) {
    const item = document.createElement("li");
    item.className = "mail";
    const subject = document.createElement("p");
    subject.className = "mail-subject";
    subject.textContent = mail.subject || "(no subject)";
    const meta = document.createElement("p");
    meta.className = "mail-meta";
    const sent = typeof mail.sent_at === "number" ? new Date(mail.sent_at * 1000) : null;
    meta.textContent = "To " + (mail.to || "") + (sent ? " · " + sent.toLocaleString() : "");
    const body = document.createElement("pre");
    body.className = "mail-body";
    body.textContent = mail.body || "";
    item.append(subject, meta, body);
    return item;
  }

  async function refresh() {
    const address = input.value.trim();
    if (!address) return;
    try {
      const response = await fetch("/api/outbox?to=" + encodeURIComponent(address));
      if (!response.ok) throw new Error(String(response.status));
      const mails = await response.json();
      list.replaceChildren(...mails.slice().reverse().map(mailItem));
      status.textContent = mails.length
        ? mails.length + (mails.length === 1 ? " message" : " messages") + " for " + address + " (newest first)"
        : "No mail for " + address + " yet.";
    } catch (error) {
      status.textContent = "The mailbox is not reachable right now.";
    }
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    refresh();
    clearInterval(timer);
    timer = setInterval(refresh, 3000);
  });
})();
