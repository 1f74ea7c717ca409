// Getting each turn answered: the turns waiting for their reply, re-sending them when the
// reply is overdue, giving up, and recognising the turn a reply answers.
import { newTurnId } from "./turns.js";

export class Delivery {
  // `options` has replyTimeoutMs, resendDelayMs and resendTries; `store` keeps the waiting
  // turns, `view` shows the typing dots and notices, `transport` sends.
  constructor(options, store, view, transport) {
    this.options = options;
    this.store = store;
    this.view = view;
    this.transport = transport;
    // Turns without an answer yet, oldest first, and those given up on (for "Send again").
    this.pending = [];
    this.abandoned = [];
    this.retryTimer = null;
    this.resends = 0;
  }

  send(message) {
    if (this.abandoned.length) {
      // A new message instead of "Send again": the turns given up on stay given up.
      this.abandoned = [];
      this.view.setNotice("");
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
      this.view.setNotice("Your last message may not have arrived. Please type it again.");
    }
  }

  enqueue(turns) {
    const idle = this.pending.length === 0;
    this.pending.push(...turns);
    this.store.savePending(this.pending);
    if (idle) this.awaitReply();
    if (this.transport.online()) turns.forEach((turn) => this.transport.emit(turn));
    else this.view.setNotice("Your message will be sent when the connection is back.");
  }

  // Connected (again): the turns may have been lost with the old connection; a repeat is
  // answered once.
  confirmed() {
    if (this.view.noticeText.startsWith("Your message will be sent")) this.view.setNotice("");
    this.pending.forEach((turn) => this.transport.emit(turn));
  }

  // The clock of the oldest unanswered turn: its reply is overdue after replyTimeoutMs; then
  // the pending turns are re-sent with growing pauses, and given up after the last pause.
  awaitReply() {
    this.resends = 0;
    this.view.showTyping();
    this.schedule(this.options.replyTimeoutMs);
  }

  schedule(ms) {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.overdue(), ms);
  }

  stop() {
    clearTimeout(this.retryTimer);
  }

  overdue() {
    this.view.hideTyping();
    if (this.resends >= this.options.resendTries) {
      this.giveUp();
      return;
    }
    this.resends += 1;
    // Offline, a try still counts: the turns go out on reconnecting, and an assistant that
    // stays away must not keep the learner waiting without end.
    if (this.transport.online()) {
      this.view.setNotice("No reply yet. Sending your message again…");
      this.pending.forEach((turn) => this.transport.emit(turn));
    } else {
      this.view.setNotice("No reply yet: we can't reach the assistant right now. We'll keep trying.");
    }
    this.schedule(this.options.resendDelayMs * 2 ** (this.resends - 1));
  }

  giveUp() {
    this.abandoned = this.pending;
    this.pending = [];
    this.store.savePending(this.pending);
    this.view.setNotice(
      "We couldn't get a reply, so your message may not have arrived. " +
        "Check your connection, then press Send again.",
      { label: "Send again", onClick: () => this.sendAgain() },
    );
  }

  sendAgain() {
    const turns = this.abandoned;
    this.abandoned = [];
    this.view.setNotice("");
    this.enqueue(turns);
    this.view.focusInput();
  }

  // A reply answers the turn it names; one without a turn id (from a server that sends
  // none) answers the oldest. Replies to another tab's turns answer nothing here.
  answered(id) {
    if (this.abandoned.some((turn) => turn.id === id)) {
      // A late answer to a turn given up on: it did arrive after all.
      this.abandoned = this.abandoned.filter((turn) => turn.id !== id);
      if (!this.abandoned.length) this.view.setNotice("");
    }
    const index = id === null ? 0 : this.pending.findIndex((turn) => turn.id === id);
    if (index < 0 || index >= this.pending.length) return;
    this.pending.splice(index, 1);
    this.store.savePending(this.pending);
    this.view.setNotice("");
    if (this.pending.length) {
      this.awaitReply();
    } else {
      this.stop();
      this.view.hideTyping();
    }
  }

  // The conversation is forgotten: nothing waits for an answer any more.
  reset() {
    this.stop();
    this.view.hideTyping();
    this.view.setNotice("");
    this.pending = [];
    this.abandoned = [];
    this.store.savePending(this.pending);
  }
}
