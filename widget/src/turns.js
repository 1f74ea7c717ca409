// A turn id lets the server recognise a re-sent message (it matches ^[A-Za-z0-9_-]{8,64}$).
// randomUUID exists only on secure pages (https, localhost); getRandomValues everywhere.
export function newTurnId() {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

// A reply's place in its turn's answer, the same in the first answer and in a replay; null
// for replies that carry none.
export function replyKey(data) {
  return typeof data.message_id === "string" && Number.isInteger(data.reply_index)
    ? `${data.message_id}/${data.reply_index}`
    : null;
}
