// The demo's payment loop and mailbox, kept apart from the page's own code: "Pay with
// Stripe (test mode)" buys a True Recall package through the ledger's POST /v1/checkout
// and the stand-in's checkout page (scripts/stripe-stand-in.mjs, started by
// ./scripts/demo.sh), which sends the ledger a signed webhook; the credits then arrive
// through the page's normal sync. The mailbox lists the low-balance emails the ledger
// sent to the stand-in's SMTP sink.
const PACKAGES = [["starter", "Starter — 500 credits, $2.50"], ["pro", "Pro — 3,000 credits, $10.00"], ["power", "Power User — 8,500 credits, $25.00"]];

function el(tag, props = {}, ...children) {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children);
  return e;
}

async function checkout(packageId, status) {
  status.textContent = "opening the test-mode checkout…";
  try {
    const issued = await fetch("/demo/token", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ accountId: "demo", deviceId: "payments-page" }) });
    const { token } = await issued.json();
    const res = await fetch("/v1/checkout", { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body: JSON.stringify({ packageId }) });
    const answer = await res.json();
    if (!answer.ok) throw new Error(`${answer.error?.code}: ${answer.error?.message}`);
    location.href = answer.result.url;
  } catch (e) {
    status.textContent = `checkout failed: ${e.message}`;
  }
}

async function refreshMailbox(standIn, list) {
  try {
    const mails = await (await fetch(`${standIn}/mailbox`)).json();
    list.replaceChildren(...(mails.length ? mails.slice().reverse().map((m) => el("li", { textContent: `${new Date(m.at).toLocaleTimeString()} → ${m.to.join(", ")}: ${m.subject}` })) : [el("li", { className: "muted", textContent: "no email yet" })]));
  } catch {
    list.replaceChildren(el("li", { className: "muted", textContent: "the stand-in is not running (./scripts/demo.sh starts it)" }));
  }
}

function mount(standIn) {
  const status = el("p", { className: "muted" });
  const paid = new URLSearchParams(location.search).get("checkout");
  if (paid === "paid") status.textContent = "paid: the webhook granted the package; it appears with the next sync";
  if (paid === "cancelled") status.textContent = "checkout cancelled: nothing was charged";
  const buttons = PACKAGES.map(([id, label]) => el("button", { type: "button", textContent: label, onclick: () => checkout(id, status) }));
  const list = el("ul", { id: "mailbox" });
  const card = el("article", { className: "card", id: "payments" },
    el("h2", { textContent: "Pay with Stripe (test mode, account demo)" }), el("div", { className: "row" }, ...buttons), status,
    el("h2", { textContent: "Mailbox: low-balance emails" }), list);
  (document.querySelector("main") ?? document.body).append(card);
  refreshMailbox(standIn, list);
  setInterval(() => refreshMailbox(standIn, list), 3000);
}

// Only when the ledger's checkout goes to the loopback stand-in (./scripts/demo.sh).
async function start() {
  const { standIn } = await (await fetch("/demo/payments")).json();
  if (standIn) mount(standIn);
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
