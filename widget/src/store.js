// What the widget keeps in the browser: the conversation (masked) in localStorage, the turns
// waiting for their answer in this tab's sessionStorage.

// What the browser keeps outlives the chat: one-time codes (six digits, maybe in halves,
// not a ticket's "CS-123456") and addresses are kept masked, as the assistant masks them
// (e***@gmail.com), the same patterns as common/codes.py and common/addresses.py.
const CODE_PATTERN = /(?<![\w-])\d(?:[\s-]?\d){5}(?!\d)/g;
const ADDRESS_PATTERN = /[^\s@<>()[\]"',;:][^\s@<>()[\]",;:]*@([^\s@<>()[\]"',;:]+)/g;

export function maskSecrets(text) {
  return text
    .replace(ADDRESS_PATTERN, (address, domain) => `${address[0]}***@${domain}`)
    .replace(CODE_PATTERN, "******");
}

// `storage` is "localStorage" or "sessionStorage": merely reading those throws where storage
// is disabled.
function readJson(storage, key) {
  try {
    return JSON.parse(window[storage].getItem(key) || "{}") || {};
  } catch (error) {
    return {};
  }
}

function writeJson(storage, key, value, replacer) {
  try {
    window[storage].setItem(key, JSON.stringify(value, replacer));
  } catch (error) {
    // Storage full or disabled: the conversation still works, it just is not kept.
  }
}

export class Store {
  constructor(key) {
    this.key = key;
    // Turns waiting for their answer belong to this tab: another tab must not re-send them.
    this.pendingKey = `${key}:pending`;
  }
  load() {
    const data = readJson("localStorage", this.key);
    return {
      sessionId: typeof data.sessionId === "string" ? data.sessionId : null,
      history: Array.isArray(data.history) ? data.history : [],
      seen: Array.isArray(data.seen) ? data.seen.filter((key) => typeof key === "string") : [],
      unread: Number(data.unread) || 0,
      open: Boolean(data.open),
    };
  }
  save(state) {
    // The session id and the reply keys are the server's and stay as they are; every other
    // string is masked.
    writeJson("localStorage", this.key, state, function masked(name, value) {
      const kept = name === "sessionId" || this === state.seen;
      return typeof value === "string" && !kept ? maskSecrets(value) : value;
    });
  }
  // A pending message with a code or an address in it is not kept: it could not be kept
  // masked and still be re-sent. Such turns come back with a null message.
  loadPending() {
    const turns = readJson("sessionStorage", this.pendingKey).turns;
    return (Array.isArray(turns) ? turns : [])
      .filter((turn) => turn && typeof turn.id === "string")
      .map((turn) => ({ id: turn.id, message: typeof turn.message === "string" ? turn.message : null }));
  }
  savePending(turns) {
    const kept = turns.map(({ id, message }) => ({
      id,
      message: maskSecrets(message) === message ? message : null,
    }));
    writeJson("sessionStorage", this.pendingKey, { turns: kept });
  }
}
