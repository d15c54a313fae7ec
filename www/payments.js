// The demo's view of its payment stand-in, kept apart from the page's own code: when the
// ledger sells through scripts/stripe-stand-in.mjs (started by ./scripts/demo.sh), the
// page's Buy and plan buttons go through POST /v1/checkout and the stand-in's test-mode
// checkout page, which sends the ledger a signed webhook (app.js). This card shows what
// reached the stand-in: the low-balance emails the ledger sent to its SMTP sink, and the
// refunds the ledger asked it to pay back.

function el(tag, props = {}, ...children) {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children);
  return e;
}

/** Fills `list` from the stand-in's `path` (JSON array), newest first, or says why not. */
async function refresh(standIn, path, list, describe, none) {
  try {
    const items = await (await fetch(`${standIn}/${path}`)).json();
    const lines = items.map(describe);
    // Replaced only when it changed, so a screen reader in the list is not interrupted.
    const shown = JSON.stringify(lines);
    if (list.dataset.shown !== shown) {
      list.dataset.shown = shown;
      list.dataset.count = String(items.length);
      list.replaceChildren(...(lines.length ? lines.reverse().map((t) => el("li", { textContent: t })) : [el("li", { className: "muted", textContent: none })]));
    }
  } catch {
    list.replaceChildren(el("li", { className: "muted", textContent: "the stand-in is not running (./scripts/demo.sh starts it)" }));
  }
}

function mount(standIn) {
  const mailbox = el("ul", { id: "mailbox" });
  mailbox.setAttribute("data-testid", "mailbox");
  const refunds = el("ul", { id: "refunds" });
  refunds.setAttribute("data-testid", "stand-in-refunds");
  const card = el("article", { className: "card", id: "payments" },
    el("h2", { textContent: "Stripe test mode: what reached the stand-in" }),
    el("p", { className: "muted", textContent: "Buy and the plan switch open its checkout page; Refund asks it to pay back. Nothing here is real money." }),
    el("h3", { textContent: "Mailbox: low-balance emails" }), mailbox,
    el("h3", { textContent: "Refunds paid back" }), refunds);
  (document.querySelector("main") ?? document.body).append(card);
  const tick = () => {
    refresh(standIn, "mailbox", mailbox, (m) => `${new Date(m.at).toLocaleTimeString()} → ${m.to.join(", ")}: ${m.subject}`, "no email yet");
    refresh(standIn, "refunds", refunds, (r) => `${r.id}: $${(r.amount / 100).toFixed(2)} on ${r.payment_intent}`, "no refund yet");
  };
  tick();
  setInterval(tick, 3000);
}

// Only when the ledger's checkout goes to the loopback stand-in (./scripts/demo.sh).
async function start() {
  const { standIn } = await (await fetch("/demo/payments")).json();
  if (standIn) mount(standIn);
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
