// The widget's nodes: launcher, panel, bubbles, quick replies, status and notice lines.
// All bot and user text is added with textContent; no markup from messages is ever parsed.
import { STYLE } from "./style.js";
import { el, renderRichText, safeHref } from "./render.js";

function svg(path) {
  const ns = "http://www.w3.org/2000/svg";
  const node = document.createElementNS(ns, "svg");
  node.setAttribute("viewBox", "0 0 24 24");
  node.setAttribute("aria-hidden", "true");
  node.setAttribute("focusable", "false");
  const p = document.createElementNS(ns, "path");
  p.setAttribute("d", path);
  node.append(p);
  return node;
}
function iconChat() {
  return svg("M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z");
}
function iconClose() {
  return svg("M6.4 5 5 6.4 10.6 12 5 17.6 6.4 19l5.6-5.6 5.6 5.6 1.4-1.4-5.6-5.6L19 6.4 17.6 5 12 10.6z");
}
function iconSend() {
  return svg("M3 20.5 21 12 3 3.5v6.6l12 1.9-12 1.9z");
}

export class ChatView {
  // `actions` are what the learner's clicks and keys ask of the widget: open(), close(),
  // startOver() and send(message, shown). The launcher is labelled with `unread` from the start.
  constructor(title, unread, actions) {
    this.title = title;
    this.actions = actions;
    this.buildDom(unread);
  }

  buildDom(unread) {
    this.host = el("div", { className: "account-help-widget", "data-account-help-widget": "" });
    const root = this.host.attachShadow({ mode: "open" });
    this.root = root;
    root.append(el("style", { text: STYLE }));

    const panelId = "ahw-panel";
    this.badge = el("span", { className: "badge", "aria-hidden": "true", hidden: true });
    this.launcher = el(
      "button",
      { type: "button", className: "launcher", "aria-expanded": "false", "aria-controls": panelId, part: "launcher" },
      [iconChat(), this.badge],
    );
    this.launcher.addEventListener("click", () => (this.isOpen() ? this.actions.close() : this.actions.open()));

    this.statusText = el("span", { className: "status-text", text: "Connecting…" });
    this.statusDot = el("span", { className: "status-dot", "aria-hidden": "true" });
    const titleId = "ahw-title";
    this.restartButton = el("button", { type: "button", className: "header-button restart", text: "Start over" });
    this.restartButton.addEventListener("click", () => this.actions.startOver());
    this.closeButton = el("button", { type: "button", className: "header-button close", "aria-label": "Close chat" }, [
      iconClose(),
    ]);
    this.closeButton.addEventListener("click", () => this.actions.close());
    const header = el("div", { className: "header" }, [
      el("div", { className: "header-text" }, [
        el("h2", { id: titleId, className: "title", text: this.title }),
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
      iconSend(),
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
      this.actions.send(text, text);
    });

    this.panel = el(
      "div",
      { id: panelId, className: "panel", role: "dialog", "aria-labelledby": titleId, hidden: true, part: "panel" },
      [header, this.log, this.typing, this.notice, this.replies, this.form],
    );
    root.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && this.isOpen()) {
        event.preventDefault();
        this.actions.close();
      }
    });
    root.append(this.panel, this.launcher);
    document.body.append(this.host);
    this.updateLauncherLabel(unread);
  }

  remove() {
    this.host.remove();
  }

  // ---- open / close ----------------------------------------------------------------------

  isOpen() {
    return !this.panel.hidden;
  }

  setOpen(open) {
    this.panel.hidden = !open;
    if (open) this.host.classList.add("open");
    else this.host.classList.remove("open");
    this.launcher.setAttribute("aria-expanded", String(open));
  }

  focusInput() {
    this.input.focus();
  }

  focusLauncher() {
    this.launcher.focus();
  }

  updateLauncherLabel(unread) {
    const base = `Chat: ${this.title}`;
    this.launcher.setAttribute("aria-label", unread ? `${base} (${unread} unread)` : base);
  }

  updateBadge(unread) {
    this.badge.hidden = unread === 0;
    this.badge.textContent = unread > 9 ? "9+" : String(unread);
    this.updateLauncherLabel(unread);
  }

  // ---- messages --------------------------------------------------------------------------

  renderHistory(history) {
    this.log.replaceChildren();
    for (const entry of history) this.log.append(this.bubble(entry));
    const last = history[history.length - 1];
    this.showQuickReplies(last && last.from === "bot" ? last.buttons || [] : []);
  }

  bubble(entry) {
    const who = entry.from === "user" ? "You" : entry.from === "agent" ? entry.agent : "Assistant";
    const body = el("div", { className: "bubble-body" });
    // A support agent's message names them, visibly: the learner knows a person writes.
    if (entry.from === "agent") body.append(el("span", { className: "agent-name", text: `${entry.agent} · support team` }));
    if (entry.image) {
      const href = safeHref(entry.image);
      if (href) body.append(el("a", { href, target: "_blank", rel: "noopener noreferrer", text: "Open image" }));
    } else {
      body.append(renderRichText(entry.text || ""));
    }
    return el("div", { className: `message ${entry.from}` }, [
      el("span", { className: "visually-hidden", text: entry.from === "agent" ? "" : `${who}: ` }),
      body,
    ]);
  }

  appendBubble(entry) {
    this.log.append(this.bubble(entry));
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
        this.actions.send(button.payload, button.title);
        if (focusInput) this.input.focus();
      });
      this.replies.append(node);
    }
    this.scrollToEnd();
  }

  // The dots take room from the log: its end is scrolled back into view.
  showTyping() {
    this.typing.hidden = false;
    this.scrollToEnd();
  }

  hideTyping() {
    this.typing.hidden = true;
  }

  // ---- status and notice -----------------------------------------------------------------

  get noticeText() {
    return this.notice.textContent;
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

  setStatus(kind, text) {
    this.host.dataset.status = kind;
    this.panel.dataset.status = kind;
    this.statusText.textContent = text;
  }
}
