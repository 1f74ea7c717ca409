// Styles live in the widget's shadow root, so the host page's CSS and ours never mix.
export const STYLE = `
:host {
  all: initial;
  --ahw-accent: #1f5fbf;
  --ahw-accent-dark: #174a94;
  --ahw-bg: #ffffff;
  --ahw-bot: #eef1f6;
  --ahw-text: #1b1f24;
  --ahw-muted: #5b6470;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  font-size: 15px;
  line-height: 1.45;
  color: var(--ahw-text);
}
*, *::before, *::after { box-sizing: border-box; }
[hidden] { display: none !important; }
.visually-hidden {
  position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; border: 0;
  overflow: hidden; clip: rect(0 0 0 0); clip-path: inset(50%); white-space: nowrap;
}
button { font: inherit; cursor: pointer; }
:focus-visible { outline: 3px solid #f2b705; outline-offset: 2px; }

.launcher {
  position: fixed; right: 20px; bottom: 20px; z-index: 2147483000;
  width: 60px; height: 60px; border-radius: 50%; border: none;
  background: var(--ahw-accent); color: #fff;
  box-shadow: 0 6px 18px rgba(0, 0, 0, 0.25);
  display: flex; align-items: center; justify-content: center;
}
.launcher:hover { background: var(--ahw-accent-dark); }
.launcher svg { width: 28px; height: 28px; fill: currentColor; }
.badge {
  position: absolute; top: -4px; right: -4px; min-width: 22px; height: 22px; padding: 0 6px;
  border-radius: 11px; background: #c62828; color: #fff; font-size: 12px; font-weight: 700;
  display: flex; align-items: center; justify-content: center; border: 2px solid #fff;
}

.panel {
  position: fixed; right: 20px; bottom: 92px; z-index: 2147483001;
  width: 370px; height: min(600px, calc(100vh - 120px));
  display: flex; flex-direction: column;
  background: var(--ahw-bg); border-radius: 14px; overflow: hidden;
  box-shadow: 0 12px 40px rgba(0, 0, 0, 0.28);
}
.header {
  display: flex; align-items: center; gap: 6px; padding: 12px 12px 12px 16px;
  background: var(--ahw-accent); color: #fff;
}
.header-text { flex: 1; min-width: 0; }
.title { margin: 0; font-size: 17px; font-weight: 650; }
.status { margin: 0; font-size: 13px; opacity: 0.95; display: flex; align-items: center; gap: 6px; }
.status-dot { width: 8px; height: 8px; border-radius: 50%; background: #b0bec5; }
.panel[data-status="online"] .status-dot { background: #4caf50; }
.panel[data-status="reconnecting"] .status-dot { background: #ffb300; }
.panel[data-status="offline"] .status-dot { background: #ef5350; }
.header-button {
  background: transparent; color: #fff; border: 1px solid rgba(255, 255, 255, 0.55);
  border-radius: 8px; padding: 5px 9px; font-size: 13px;
}
.header-button:hover { background: rgba(255, 255, 255, 0.15); }
.header-button.close { border: none; padding: 4px; display: flex; }
.header-button svg { width: 22px; height: 22px; fill: currentColor; }

.log {
  flex: 1; overflow-y: auto; padding: 14px; display: flex; flex-direction: column; gap: 8px;
  background: #fafbfc;
}
.message { display: flex; }
.message.user { justify-content: flex-end; }
.bubble-body {
  max-width: 82%; padding: 8px 12px; border-radius: 14px; white-space: normal;
  overflow-wrap: anywhere;
}
.message.bot .bubble-body { background: var(--ahw-bot); border-bottom-left-radius: 4px; }
.message.user .bubble-body { background: var(--ahw-accent); color: #fff; border-bottom-right-radius: 4px; }
.message.agent .bubble-body { background: #e6f4ea; border-bottom-left-radius: 4px; }
.agent-name { display: block; font-size: 12px; font-weight: 600; color: #1e5631; margin-bottom: 2px; }
.message a { color: inherit; text-decoration: underline; }

.typing { padding: 0 14px 8px; display: flex; gap: 4px; background: #fafbfc; }
.typing .dot {
  width: 8px; height: 8px; border-radius: 50%; background: #8a94a3;
  animation: ahw-blink 1.2s infinite ease-in-out;
}
.typing .dot:nth-child(3) { animation-delay: 0.2s; }
.typing .dot:nth-child(4) { animation-delay: 0.4s; }
@keyframes ahw-blink { 0%, 80%, 100% { opacity: 0.25; } 40% { opacity: 1; } }
@media (prefers-reduced-motion: reduce) { .typing .dot { animation: none; opacity: 0.6; } }

.notice {
  margin: 0 14px 8px; padding: 6px 10px; border-radius: 8px; font-size: 13px;
  background: #fff4e5; color: #6d4100;
}
.notice:empty { display: none; }
.notice-action {
  border: 1px solid currentColor; border-radius: 12px; background: #fff; color: inherit;
  padding: 2px 10px; font-size: 13px; margin-left: 4px;
}

.quick-replies {
  max-height: 38%; overflow-y: auto; flex: none;
  display: flex; flex-wrap: wrap; gap: 6px; padding: 8px 14px; border-top: 1px solid #e3e7ed;
}
.quick-reply {
  border: 1.5px solid var(--ahw-accent); color: var(--ahw-accent); background: #fff;
  border-radius: 16px; padding: 5px 12px; font-size: 14px;
}
.quick-reply:hover { background: #eaf1fb; }

.composer { display: flex; gap: 8px; padding: 10px; border-top: 1px solid #e3e7ed; background: #fff; }
.input {
  flex: 1; min-width: 0; font: inherit; font-size: 16px; padding: 9px 12px;
  border: 1.5px solid #c3cad4; border-radius: 20px; color: var(--ahw-text); background: #fff;
}
.input:focus { border-color: var(--ahw-accent); outline: none; box-shadow: 0 0 0 3px rgba(31, 95, 191, 0.25); }
.send {
  width: 42px; height: 42px; flex: none; border-radius: 50%; border: none;
  background: var(--ahw-accent); color: #fff; display: flex; align-items: center; justify-content: center;
}
.send svg { width: 20px; height: 20px; fill: currentColor; }

@media (max-width: 480px) {
  .panel { inset: 0; width: 100%; height: 100%; border-radius: 0; }
  :host(.open) .launcher { display: none; }
}
`;
