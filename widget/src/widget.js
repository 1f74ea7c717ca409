// Account help chat widget: a launcher and chat panel that talk to the Rasa socket.io channel.
// Embed with <script src="/widget.js" data-server="http://localhost:5005"></script>
// or call window.AccountHelpWidget.init({ server: "...", title: "...", initialPayload: "/greet" }).
// All bot and user text is added with textContent; no markup from messages is ever parsed.
import { io } from "socket.io-client";
import { STYLE } from "./style.js";
import { el, renderRichText, safeHref } from "./render.js";
import { Store } from "./store.js";
import { newTurnId, replyKey } from "./turns.js";

const DEFAULTS = {
  server: "",
  socketPath: "/socket.io",
  title: "Account help",
  initialPayload: "",
  storageKey: "account-help-widget",
  replyTimeoutMs: 8000,
  // An unanswered turn is re-sent once its reply is overdue (replyTimeoutMs), then after
  // pauses of resendDelayMs, twice that, and so on; after resendTries re-sends and one more
  // pause the widget gives up and tells the learner.
  resendDelayMs: 2000,
  resendTries: 4,
  maxHistory: 200,
  openOnLoad: false,
};

class ChatWidget {
  constructor(options) {
    this.options = { ...DEFAULTS, ...options };
    if (!this.options.server) throw new Error("AccountHelpWidget: the `server` option is required");
    this.store = new Store(`${this.options.storageKey}:${this.options.server}`);
    this.state = this.store.load();
    this.confirmed = false;
    // Turns without an answer yet, oldest first, and those given up on (for "Send again").
    this.pending = [];
    this.abandoned = [];
    this.retryTimer = null;
    this.resends = 0;
    this.failedAttempts = 0;
    this.buildDom();
    this.renderHistory();
    this.updateBadge();
    this.restorePending();
    this.connect();
    if (this.state.open || this.options.openOnLoad) this.open({ focus: false });
  }

  // ---- DOM -------------------------------------------------------------------------------

  buildDom() {
    const o = this.options;
    this.host = el("div", { className: "account-help-widget", "data-account-help-widget": "" });
    const root = this.host.attachShadow({ mode: "open" });
    this.root = root;
    root.append(el("style", { text: STYLE }));

    const panelId = "ahw-panel";
    this.badge = el("span", { className: "badge", "aria-hidden": "true", hidden: true });
    this.launcher = el(
      "button",
      { type: "button", className: "launcher", "aria-expanded": "false", "aria-controls": panelId, part: "launcher" },
      [this.iconChat(), this.badge],
    );
    this.launcher.addEventListener("click", () => (this.isOpen() ? this.close() : this.open()));

    this.statusText = el("span", { className: "status-text", text: "Connecting…" });
    this.statusDot = el("span", { className: "status-dot", "aria-hidden": "true" });
    const titleId = "ahw-title";
    this.restartButton = el("button", { type: "button", className: "header-button restart", text: "Start over" });
    this.restartButton.addEventListener("click", () => this.startOver());
    this.closeButton = el("button", { type: "button", className: "header-button close", "aria-label": "Close chat" }, [
      this.iconClose(),
    ]);
    this.closeButton.addEventListener("click", () => this.close());
    const header = el("div", { className: "header" }, [
      el("div", { className: "header-text" }, [
        el("h2", { id: titleId, className: "title", text: o.title }),
        el("p", { className: "status", role: "status" }, [this.statusDot, this.statusText]),
      ]),
      this.restartButton,
      this.closeButton,
    ]);

    this.log = el("div", {
      className: "log",
      role: "log",
      "aria-live": "polite",
      "aria-relevant": "additions",
      "aria-label": "Conversation",
      tabindex: "0",
    });
    this.typing = el("div", { className: "typing", hidden: true }, [
      el("span", { className: "visually-hidden", text: "The assistant is typing" }),
      el("span", { className: "dot", "aria-hidden": "true" }),
      el("span", { className: "dot", "aria-hidden": "true" }),
      el("span", { className: "dot", "aria-hidden": "true" }),
    ]);
    this.notice = el("div", { className: "notice", role: "status", "aria-live": "polite" });
    this.replies = el("div", { className: "quick-replies", role: "group", "aria-label": "Suggested replies" });

    const inputId = "ahw-input";
    this.input = el("input", {
      id: inputId,
      className: "input",
      type: "text",
      autocomplete: "off",
      placeholder: "Type your message…",
      maxlength: "1000",
    });
    this.sendButton = el("button", { type: "submit", className: "send", "aria-label": "Send message" }, [
      this.iconSend(),
    ]);
    this.form = el("form", { className: "composer" }, [
      el("label", { for: inputId, className: "visually-hidden", text: "Message" }),
      this.input,
      this.sendButton,
    ]);
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = this.input.value.trim();
      if (!text) return;
      this.input.value = "";
      this.sendText(text, text);
    });

    this.panel = el(
      "div",
      { id: panelId, className: "panel", role: "dialog", "aria-labelledby": titleId, hidden: true, part: "panel" },
      [header, this.log, this.typing, this.notice, this.replies, this.form],
    );
    root.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && this.isOpen()) {
        event.preventDefault();
        this.close();
      }
    });
    root.append(this.panel, this.launcher);
    document.body.append(this.host);
    this.updateLauncherLabel();
  }

  svg(path) {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    const p = document.createElementNS(ns, "path");
    p.setAttribute("d", path);
    svg.append(p);
    return svg;
  }
  iconChat() {
    return this.svg("M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z");
  }
  iconClose() {
    return this.svg("M6.4 5 5 6.4 10.6 12 5 17.6 6.4 19l5.6-5.6 5.6 5.6 1.4-1.4-5.6-5.6L19 6.4 17.6 5 12 10.6z");
  }
  iconSend() {
    return this.svg("M3 20.5 21 12 3 3.5v6.6l12 1.9-12 1.9z");
  }

  // ---- open / close ----------------------------------------------------------------------

  isOpen() {
    return !this.panel.hidden;
  }

  open({ focus = true } = {}) {
    this.panel.hidden = false;
    this.host.classList.add("open");
    this.launcher.setAttribute("aria-expanded", "true");
    this.state.open = true;
    this.state.unread = 0;
    this.updateBadge();
    this.persist();
    this.scrollToEnd();
    if (focus) this.input.focus();
    // A greeting still pending from before a reload is re-sent, not sent twice.
    const fresh = this.state.history.length === 0 && this.pending.length === 0;
    if (fresh && this.options.initialPayload && !this.greeted) {
      this.greeted = true;
      this.sendText(this.options.initialPayload, null);
    }
  }

  close() {
    this.panel.hidden = true;
    this.host.classList.remove("open");
    this.launcher.setAttribute("aria-expanded", "false");
    this.state.open = false;
    this.persist();
    this.launcher.focus();
  }

  updateLauncherLabel() {
    const unread = this.state.unread;
    const base = `Chat: ${this.options.title}`;
    this.launcher.setAttribute("aria-label", unread ? `${base} (${unread} unread)` : base);
  }

  updateBadge() {
    const unread = this.state.unread;
    this.badge.hidden = unread === 0;
    this.badge.textContent = unread > 9 ? "9+" : String(unread);
    this.updateLauncherLabel();
  }

  // ---- messages --------------------------------------------------------------------------

  persist() {
    this.state.history = this.state.history.slice(-this.options.maxHistory);
    this.state.seen = this.state.seen.slice(-this.options.maxHistory);
    this.store.save(this.state);
  }

  renderHistory() {
    this.log.replaceChildren();
    for (const entry of this.state.history) this.log.append(this.bubble(entry));
    const last = this.state.history[this.state.history.length - 1];
    this.showQuickReplies(last && last.from === "bot" ? last.buttons || [] : []);
  }

  bubble(entry) {
    const who = entry.from === "user" ? "You" : "Assistant";
    const body = el("div", { className: "bubble-body" });
    if (entry.image) {
      const href = safeHref(entry.image);
      if (href) body.append(el("a", { href, target: "_blank", rel: "noopener noreferrer", text: "Open image" }));
    } else {
      body.append(renderRichText(entry.text || ""));
    }
    return el("div", { className: `message ${entry.from}` }, [
      el("span", { className: "visually-hidden", text: `${who}: ` }),
      body,
    ]);
  }

  addMessage(entry) {
    this.state.history.push(entry);
    this.log.append(this.bubble(entry));
    if (entry.from === "bot" && !this.isOpen()) this.state.unread += 1;
    this.updateBadge();
    this.persist();
    this.scrollToEnd();
  }

  scrollToEnd() {
    this.log.scrollTop = this.log.scrollHeight;
  }

  showQuickReplies(buttons) {
    this.replies.replaceChildren();
    this.replies.hidden = buttons.length === 0;
    for (const button of buttons) {
      const node = el("button", { type: "button", className: "quick-reply", text: button.title });
      node.addEventListener("click", () => {
        const focusInput = this.root.activeElement === node;
        this.sendText(button.payload, button.title);
        if (focusInput) this.input.focus();
      });
      this.replies.append(node);
    }
    this.scrollToEnd();
  }

  clearQuickReplies() {
    for (const entry of this.state.history) if (entry.buttons) delete entry.buttons;
    this.showQuickReplies([]);
  }

  // `shown` is the user's bubble text; null sends silently (the greeting payload).
  sendText(message, shown) {
    this.clearQuickReplies();
    if (shown !== null) this.addMessage({ from: "user", text: shown });
    if (this.abandoned.length) {
      // A new message instead of "Send again": the turns given up on stay given up.
      this.abandoned = [];
      this.setNotice("");
    }
    this.enqueue([{ id: newTurnId(), message }]);
  }

  // Turns still unanswered when the page was left are sent again once connected.
  restorePending() {
    const turns = this.store.loadPending();
    const resendable = turns.filter((turn) => turn.message !== null);
    if (resendable.length) this.enqueue(resendable);
    if (resendable.length < turns.length) {
      this.store.savePending(this.pending);
      this.setNotice("Your last message may not have arrived. Please type it again.");
    }
  }

  enqueue(turns) {
    const idle = this.pending.length === 0;
    this.pending.push(...turns);
    this.store.savePending(this.pending);
    if (idle) this.awaitReply();
    if (this.online()) turns.forEach((turn) => this.emit(turn));
    else this.setNotice("Your message will be sent when the connection is back.");
  }

  online() {
    return Boolean(this.socket && this.socket.connected && this.confirmed);
  }

  // Re-sent turns keep their id, so the server answers each turn once and replays that answer.
  emit(turn) {
    const { message, id } = turn;
    this.socket.emit("user_uttered", { message, session_id: this.state.sessionId, message_id: id });
  }

  // The clock of the oldest unanswered turn: its reply is overdue after replyTimeoutMs; then
  // the pending turns are re-sent with growing pauses, and given up after the last pause.
  awaitReply() {
    this.resends = 0;
    this.typing.hidden = false;
    this.scrollToEnd();
    this.schedule(this.options.replyTimeoutMs);
  }

  schedule(ms) {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.overdue(), ms);
  }

  overdue() {
    this.typing.hidden = true;
    if (this.resends >= this.options.resendTries) {
      this.giveUp();
      return;
    }
    this.resends += 1;
    // Offline, a try still counts: the turns go out on reconnecting, and an assistant that
    // stays away must not keep the learner waiting without end.
    if (this.online()) {
      this.setNotice("No reply yet. Sending your message again…");
      this.pending.forEach((turn) => this.emit(turn));
    } else {
      this.setNotice("No reply yet: we can't reach the assistant right now. We'll keep trying.");
    }
    this.schedule(this.options.resendDelayMs * 2 ** (this.resends - 1));
  }

  giveUp() {
    this.abandoned = this.pending;
    this.pending = [];
    this.store.savePending(this.pending);
    this.setNotice(
      "We couldn't get a reply, so your message may not have arrived. " +
        "Check your connection, then press Send again.",
      { label: "Send again", onClick: () => this.sendAgain() },
    );
  }

  sendAgain() {
    const turns = this.abandoned;
    this.abandoned = [];
    this.setNotice("");
    this.enqueue(turns);
    this.input.focus();
  }

  // A reply answers the turn it names; one without a turn id (from a server that sends
  // none) answers the oldest. Replies to another tab's turns answer nothing here.
  answered(id) {
    if (this.abandoned.some((turn) => turn.id === id)) {
      // A late answer to a turn given up on: it did arrive after all.
      this.abandoned = this.abandoned.filter((turn) => turn.id !== id);
      if (!this.abandoned.length) this.setNotice("");
    }
    const index = id === null ? 0 : this.pending.findIndex((turn) => turn.id === id);
    if (index < 0 || index >= this.pending.length) return;
    this.pending.splice(index, 1);
    this.store.savePending(this.pending);
    this.setNotice("");
    if (this.pending.length) {
      this.awaitReply();
    } else {
      clearTimeout(this.retryTimer);
      this.typing.hidden = true;
    }
  }

  receive(data) {
    if (!data || typeof data !== "object") return;
    // "Start over" typed by the learner: the assistant asks for a fresh conversation, and
    // the old one goes from the page and the browser's storage as with the button.
    if (data.start_over === true) {
      this.startOver();
      return;
    }
    const key = replyKey(data);
    if (key !== null) {
      // A replay after a re-send repeats replies already shown.
      if (this.state.seen.includes(key)) return;
      this.state.seen.push(key);
    }
    this.answered(key === null ? null : data.message_id);
    const buttons = (data.quick_replies || data.buttons || [])
      .filter((b) => b && typeof b.title === "string" && typeof b.payload === "string")
      .map((b) => ({ title: b.title, payload: b.payload }));
    const entry = { from: "bot", text: typeof data.text === "string" ? data.text : "" };
    const attachment = data.attachment;
    if (attachment && attachment.type === "image" && attachment.payload && attachment.payload.src) {
      entry.image = String(attachment.payload.src);
    }
    if (!entry.text && !entry.image && buttons.length === 0) return;
    if (buttons.length) entry.buttons = buttons;
    this.clearQuickReplies();
    this.addMessage(entry);
    this.showQuickReplies(buttons);
  }

  setNotice(text, action) {
    this.notice.replaceChildren(text);
    if (action) {
      const button = el("button", { type: "button", className: "notice-action", text: action.label });
      button.addEventListener("click", action.onClick);
      this.notice.append(" ", button);
    }
    this.notice.hidden = !text;
  }

  // ---- connection ------------------------------------------------------------------------

  setStatus(kind, text) {
    this.host.dataset.status = kind;
    this.panel.dataset.status = kind;
    this.statusText.textContent = text;
  }

  connect() {
    const socket = io(this.options.server, {
      path: this.options.socketPath,
      reconnection: true,
      reconnectionDelay: 1000,
      reconnectionDelayMax: 5000,
    });
    this.socket = socket;
    this.setStatus("connecting", "Connecting…");
    socket.on("connect", () => {
      this.failedAttempts = 0;
      this.confirmed = false;
      socket.emit("session_request", { session_id: this.state.sessionId });
    });
    socket.on("session_confirm", (sessionId) => {
      const id = typeof sessionId === "string" ? sessionId : sessionId && sessionId.session_id;
      if (!id) return;
      // The server gives a new session when the stored one has ended (idle, too old): what
      // was said in it is no longer shown or kept, so the next person at this computer
      // cannot read it.
      if (this.state.sessionId && id !== this.state.sessionId) this.forgetConversation();
      this.state.sessionId = id;
      this.confirmed = true;
      this.persist();
      this.setStatus("online", "Online");
      if (this.notice.textContent.startsWith("Your message will be sent")) this.setNotice("");
      // The turn may have been lost with the old connection; a repeat is answered once.
      this.pending.forEach((turn) => this.emit(turn));
    });
    socket.on("bot_uttered", (data) => this.receive(data));
    socket.on("disconnect", (reason) => {
      this.confirmed = false;
      if (reason === "io client disconnect") return;
      this.setStatus("reconnecting", "Reconnecting…");
    });
    socket.on("connect_error", () => {
      this.failedAttempts += 1;
      if (this.failedAttempts >= 3 || !navigator.onLine) {
        this.setStatus("offline", "Offline: trying to reconnect");
      } else {
        this.setStatus("reconnecting", "Reconnecting…");
      }
    });
    window.addEventListener("offline", () => this.setStatus("offline", "Offline: trying to reconnect"));
  }

  // Nothing of the conversation stays on the page or in the browser's storage.
  forgetConversation() {
    clearTimeout(this.retryTimer);
    this.typing.hidden = true;
    this.setNotice("");
    this.pending = [];
    this.abandoned = [];
    this.store.savePending(this.pending);
    this.state = { sessionId: null, history: [], seen: [], unread: 0, open: this.isOpen() };
    this.persist();
    this.renderHistory();
  }

  startOver() {
    // No session id: the server issues a new one, a new conversation.
    this.forgetConversation();
    this.greeted = false;
    // A fresh socket joins only the new session's room.
    this.socket.disconnect();
    this.socket.connect();
    if (this.options.initialPayload) {
      this.greeted = true;
      this.sendText(this.options.initialPayload, null);
    }
    this.input.focus();
  }

  destroy() {
    clearTimeout(this.retryTimer);
    this.socket.disconnect();
    this.host.remove();
  }
}

function readScriptConfig(script) {
  if (!script || !script.dataset) return null;
  const d = script.dataset;
  if (!d.server) return null;
  const config = { server: d.server };
  if (d.title) config.title = d.title;
  if (d.initialPayload) config.initialPayload = d.initialPayload;
  if (d.socketPath) config.socketPath = d.socketPath;
  if (d.storageKey) config.storageKey = d.storageKey;
  if (d.replyTimeoutMs) config.replyTimeoutMs = Number(d.replyTimeoutMs);
  if (d.resendDelayMs) config.resendDelayMs = Number(d.resendDelayMs);
  if (d.resendTries) config.resendTries = Number(d.resendTries);
  if (d.openOnLoad) config.openOnLoad = d.openOnLoad === "true";
  return config;
}

let instance = null;
const api = {
  init(options) {
    if (instance) instance.destroy();
    const start = () => {
      instance = new ChatWidget(options || {});
    };
    if (document.body) start();
    else document.addEventListener("DOMContentLoaded", start, { once: true });
    return api;
  },
  open: () => instance && instance.open(),
  close: () => instance && instance.close(),
  startOver: () => instance && instance.startOver(),
  destroy() {
    if (instance) instance.destroy();
    instance = null;
  },
};
window.AccountHelpWidget = api;

const scriptConfig = readScriptConfig(document.currentScript);
if (scriptConfig) api.init(scriptConfig);
