// Account help chat widget: a launcher and chat panel that talk to the Rasa socket.io channel.
// Embed with <script src="/widget.js" data-server="http://localhost:5005"></script>
// or call window.AccountHelpWidget.init({ server: "...", title: "...", initialPayload: "/greet" }).
// The panel is built in view.js, the connection is transport.js, getting each turn answered
// is delivery.js; ChatWidget ties them to the conversation kept by store.js.
import { Store } from "./store.js";
import { replyKey } from "./turns.js";
import { ChatView } from "./view.js";
import { Transport } from "./transport.js";
import { Delivery } from "./delivery.js";

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
    this.view = new ChatView(this.options.title, this.state.unread, {
      open: () => this.open(),
      close: () => this.close(),
      startOver: () => this.startOver(),
      send: (message, shown) => this.sendText(message, shown),
    });
    this.transport = new Transport(this.options, {
      sessionId: () => this.state.sessionId,
      session: (id) => this.joinSession(id),
      confirmed: () => this.delivery.confirmed(),
      message: (data) => this.receive(data),
      status: (kind, text) => this.view.setStatus(kind, text),
    });
    this.delivery = new Delivery(this.options, this.store, this.view, this.transport);
    this.view.renderHistory(this.state.history);
    this.view.updateBadge(this.state.unread);
    this.delivery.restorePending();
    this.transport.connect();
    if (this.state.open || this.options.openOnLoad) this.open({ focus: false });
  }

  // ---- open / close ----------------------------------------------------------------------

  open({ focus = true } = {}) {
    this.view.setOpen(true);
    this.state.open = true;
    this.state.unread = 0;
    this.view.updateBadge(this.state.unread);
    this.persist();
    this.view.scrollToEnd();
    if (focus) this.view.focusInput();
    // A greeting still pending from before a reload is re-sent, not sent twice.
    const fresh = this.state.history.length === 0 && this.delivery.pending.length === 0;
    if (fresh && this.options.initialPayload && !this.greeted) {
      this.greeted = true;
      this.sendText(this.options.initialPayload, null);
    }
  }

  close() {
    this.view.setOpen(false);
    this.state.open = false;
    this.persist();
    this.view.focusLauncher();
  }

  // ---- messages --------------------------------------------------------------------------

  persist() {
    this.state.history = this.state.history.slice(-this.options.maxHistory);
    this.state.seen = this.state.seen.slice(-this.options.maxHistory);
    this.store.save(this.state);
  }

  addMessage(entry) {
    this.state.history.push(entry);
    this.view.appendBubble(entry);
    if (entry.from !== "user" && !this.view.isOpen()) this.state.unread += 1;
    this.view.updateBadge(this.state.unread);
    this.persist();
    this.view.scrollToEnd();
  }

  clearQuickReplies() {
    for (const entry of this.state.history) if (entry.buttons) delete entry.buttons;
    this.view.showQuickReplies([]);
  }

  // `shown` is the user's bubble text; null sends silently (the greeting payload).
  sendText(message, shown) {
    this.clearQuickReplies();
    if (shown !== null) this.addMessage({ from: "user", text: shown });
    this.delivery.send(message);
  }

  receive(data) {
    if (!data || typeof data !== "object") return;
    // "Start over" typed by the learner: the assistant asks for a fresh conversation, and
    // the old one goes from the page and the browser's storage as with the button.
    if (data.start_over === true) {
      this.startOver();
      return;
    }
    // A support agent's message answers no turn of the learner's. After a reload the server
    // sends the agent's messages again: each is shown once, known by its time.
    if (typeof data.agent === "string" && data.agent) {
      const key = `desk/${data.desk_at}`;
      if (this.state.seen.includes(key) || typeof data.text !== "string" || !data.text) return;
      this.state.seen.push(key);
      this.addMessage({ from: "agent", agent: data.agent, text: data.text });
      return;
    }
    const key = replyKey(data);
    if (key !== null) {
      // A replay after a re-send repeats replies already shown.
      if (this.state.seen.includes(key)) return;
      this.state.seen.push(key);
    }
    this.delivery.answered(key === null ? null : data.message_id);
    // The message went to the support agent who has the conversation: nothing to show.
    if (data.to_agent === true) return;
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
    this.view.showQuickReplies(buttons);
  }

  // ---- session ---------------------------------------------------------------------------

  joinSession(id) {
    // The server gives a new session when the stored one has ended (idle, too old): what
    // was said in it is no longer shown or kept, so the next person at this computer
    // cannot read it.
    if (this.state.sessionId && id !== this.state.sessionId) this.forgetConversation();
    this.state.sessionId = id;
    this.persist();
  }

  // Nothing of the conversation stays on the page or in the browser's storage.
  forgetConversation() {
    this.delivery.reset();
    this.state = { sessionId: null, history: [], seen: [], unread: 0, open: this.view.isOpen() };
    this.persist();
    this.view.renderHistory(this.state.history);
  }

  startOver() {
    // No session id: the server issues a new one, a new conversation.
    this.forgetConversation();
    this.greeted = false;
    this.transport.reconnect();
    if (this.options.initialPayload) {
      this.greeted = true;
      this.sendText(this.options.initialPayload, null);
    }
    this.view.focusInput();
  }

  destroy() {
    this.delivery.stop();
    this.transport.disconnect();
    this.view.remove();
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
