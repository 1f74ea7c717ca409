// The socket.io connection to Rasa's channel: joining the conversation's session, sending the
// learner's turns and passing on the assistant's replies and the connection's state.
import { io } from "socket.io-client";

export class Transport {
  // `events` are the widget's: sessionId() to join, session(id) once the server confirms one,
  // confirmed() once turns can go out, message(data) for each reply, status(kind, text).
  constructor(options, events) {
    this.options = options;
    this.events = events;
    this.socket = null;
    this.confirmed = false;
    this.failedAttempts = 0;
  }

  connect() {
    const socket = io(this.options.server, {
      path: this.options.socketPath,
      reconnection: true,
      reconnectionDelay: 1000,
      reconnectionDelayMax: 5000,
    });
    this.socket = socket;
    this.events.status("connecting", "Connecting…");
    socket.on("connect", () => {
      this.failedAttempts = 0;
      this.confirmed = false;
      socket.emit("session_request", { session_id: this.events.sessionId() });
    });
    socket.on("session_confirm", (sessionId) => {
      const id = typeof sessionId === "string" ? sessionId : sessionId && sessionId.session_id;
      if (!id) return;
      this.events.session(id);
      this.confirmed = true;
      this.events.status("online", "Online");
      this.events.confirmed();
    });
    socket.on("bot_uttered", (data) => this.events.message(data));
    socket.on("disconnect", (reason) => {
      this.confirmed = false;
      if (reason === "io client disconnect") return;
      this.events.status("reconnecting", "Reconnecting…");
    });
    socket.on("connect_error", () => {
      this.failedAttempts += 1;
      if (this.failedAttempts >= 3 || !navigator.onLine) {
        this.events.status("offline", "Offline: trying to reconnect");
      } else {
        this.events.status("reconnecting", "Reconnecting…");
      }
    });
    window.addEventListener("offline", () => this.events.status("offline", "Offline: trying to reconnect"));
  }

  online() {
    return Boolean(this.socket && this.socket.connected && this.confirmed);
  }

  // Re-sent turns keep their id, so the server answers each turn once and replays that answer.
  emit(turn) {
    const { message, id } = turn;
    this.socket.emit("user_uttered", { message, session_id: this.events.sessionId(), message_id: id });
  }

  // A fresh socket joins only the new session's room.
  reconnect() {
    this.disconnect();
    this.socket.connect();
  }

  disconnect() {
    this.socket.disconnect();
  }
}
