// The sandbox page, first half: shows what the chosen person's Slack client would show, kept
// current by long-polling the server. Block Kit arrives as HTML drawn (and escaped) on the
// server; this script lays it out and keeps a form being typed intact. sandbox-act.js does the
// rest.
"use strict";

const $ = (selector) => document.querySelector(selector);
// Issued in the page and sent with every action, so a page of another site cannot act here.
const TOKEN = $('meta[name="sandbox-token"]').content;
const page = {
  me: new URLSearchParams(location.search).get("as") || localStorage.getItem("sandbox.as") || "",
  nav: { kind: "channel", id: "" },
  thread: null, // "C0CHANGES/1790000001.000001"
  version: -1,
  data: null,
  modalKey: "",
  highlight: "", // the ts of the message a link led to
  ephemerals: null, // ts of the ephemerals already shown; null until the first state arrives
  poll: null,
};

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "dataset") Object.assign(node.dataset, value);
    else if (key === "html") node.innerHTML = value; // only HTML the server rendered and escaped
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

function toast(text) {
  const box = $("#toast");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { box.hidden = true; }, 6000);
}

async function act(body) {
  const response = await fetch("/sandbox/act", {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Sandbox-Token": TOKEN },
    body: JSON.stringify({ as: page.me, ...body }),
  });
  const answer = await response.json().catch(() => ({ ok: false, error: `HTTP ${response.status}` }));
  if (!answer.ok && answer.error) toast(answer.error);
  return answer;
}

// ---- polling ---------------------------------------------------------------------------------

async function poll() {
  const controller = new AbortController();
  page.poll = controller;
  let failures = 0;
  while (page.poll === controller) {
    try {
      const url = `/sandbox/state?as=${encodeURIComponent(page.me)}&after=${page.version}`;
      const response = await fetch(url, { signal: controller.signal });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const data = await response.json();
      if (page.poll !== controller) return;
      failures = 0;
      page.me = data.me; // the server picks the first person for an unknown one
      page.version = data.version;
      page.data = data;
      render();
    } catch (error) {
      if (controller.signal.aborted) return;
      failures += 1;
      await new Promise((done) => setTimeout(done, Math.min(500 * failures, 5000)));
    }
  }
}

function restart() {
  if (page.poll) page.poll.abort();
  page.version = -1;
  page.ephemerals = null;
  poll();
}

// ---- rendering -------------------------------------------------------------------------------

function render() {
  const data = page.data;
  if (!page.nav.id && page.nav.kind === "channel") page.nav.id = data.channels[0]?.id || data.dm;
  $("#team").textContent = data.team;
  renderUsers(data);
  renderChannels(data);
  renderConversation(data);
  renderThread(data);
  renderModal(data.modal);
  revealEphemeral(data);
}

// An ephemeral reply the person just caused (a refusal, an answer to a command) is brought into
// view: scrolled to and marked where the conversation on screen shows it, else told in a toast.
function revealEphemeral(data) {
  const known = page.ephemerals;
  const fresh = [];
  for (const [channel, messages] of Object.entries(data.conversations)) {
    for (const m of messages) if (m.ephemeral && !known?.has(m.ts)) fresh.push({ channel, m });
  }
  page.ephemerals = new Set([...(known || []), ...fresh.map((f) => f.m.ts)]);
  if (!known || !fresh.length) return; // on opening, the old ones are simply shown
  const { channel, m } = fresh[fresh.length - 1];
  const shown = page.nav.kind !== "home" && channel === currentChannel(data);
  const node = shown ? document.getElementById(`msg-${m.ts}`) : null;
  if (node) {
    page.highlight = m.ts;
    node.classList.add("highlight");
    node.scrollIntoView({ block: "nearest" });
  } else {
    toast("Only visible to you: " + el("div", { html: m.html }).textContent.trim());
  }
}

function renderUsers(data) {
  const select = $("#as");
  if (select.dataset.filled !== String(data.users.length)) {
    select.replaceChildren(...data.users.map((u) =>
      el("option", { value: u.id, text: `${u.name}${u.title ? " — " + u.title : ""}` })));
    select.dataset.filled = String(data.users.length);
  }
  select.value = page.me;
  const me = data.users.find((u) => u.id === page.me);
  $("#me-zone").textContent = me ? `${me.id} · times in ${me.tz}` : "";
}

function renderChannels(data) {
  $("#channels").replaceChildren(...data.channels.map((c) => el("li", {},
    el("a", { href: "#", dataset: { nav: "channel", channel: c.id },
              class: page.nav.kind === "channel" && page.nav.id === c.id ? "active" : "" },
       `# ${c.name}`))));
  $("#nav-home").classList.toggle("active", page.nav.kind === "home");
  $("#nav-dm").classList.toggle("active", page.nav.kind === "dm");
}

function currentChannel(data) {
  return page.nav.kind === "dm" ? data.dm : page.nav.kind === "channel" ? page.nav.id : "";
}

function renderConversation(data) {
  const box = $("#conversation");
  const nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
  const title = $("#conversation-title");
  $("#composer").hidden = page.nav.kind === "home";
  if (page.nav.kind === "home") {
    title.replaceChildren("ChangeGate", el("span", { class: "sub", text: "Home" }));
    box.replaceChildren(data.home
      ? el("div", { class: "surface home", dataset: { surface: "home" }, html: data.home.html })
      : el("p", { class: "empty", text: "Opening the Home tab…" }));
    return;
  }
  const channel = currentChannel(data);
  const name = page.nav.kind === "dm" ? "ChangeGate"
    : "# " + (data.channels.find((c) => c.id === channel)?.name || channel);
  title.replaceChildren(name, el("span", { class: "sub",
    text: page.nav.kind === "dm" ? "Messages" : channel }));
  const messages = data.conversations[channel] || [];
  box.replaceChildren(...(messages.length ? messages.map((m) => messageNode(m, channel))
    : [el("p", { class: "empty", text: "No messages yet. Type /change new below to propose a change." })]));
  if (nearBottom || box.dataset.channel !== channel) box.scrollTop = box.scrollHeight;
  box.dataset.channel = channel;
}

function messageNode(m, channel) {
  const surface = m.ephemeral ? "ephemeral" : "message";
  const meta = el("div", { class: "msg-meta" }, el("b", { text: m.author }),
    el("span", { class: "app-tag", text: "APP" }), el("span", { text: m.time }),
    m.edited ? el("span", { text: " (edited)" }) : null);
  const body = el("div", { class: "msg-body" }, meta,
    m.ephemeral ? el("div", { class: "only-you", text: "Only visible to you" }) : null,
    m.broadcast ? el("div", { class: "thread-note", text: "replied to a thread" }) : null,
    el("div", { class: "msg-content", html: m.html }),
    m.replies ? el("a", { class: "replies", dataset: { thread: `${channel}/${m.ts}` },
                          text: `${m.replies} ${m.replies === 1 ? "reply" : "replies"}` }) : null);
  const classes = "msg" + (m.ephemeral ? " ephemeral" : "") + (m.ts === page.highlight ? " highlight" : "");
  return el("div", { class: classes, id: `msg-${m.ts}`,
                     dataset: { surface, channel, ts: m.ts } },
            el("div", { class: "avatar", text: "CG" }), body);
}

function renderThread(data) {
  const pane = $("#thread");
  if (!page.thread) { pane.hidden = true; return; }
  const [channel, ts] = page.thread.split("/");
  const parent = (data.conversations[channel] || []).find((m) => m.ts === ts);
  const replies = data.threads[page.thread] || [];
  pane.hidden = false;
  const nodes = parent ? [messageNode({ ...parent, replies: 0 }, channel)] : [];
  nodes.push(el("div", { class: "thread-divider",
    text: `${replies.length} ${replies.length === 1 ? "reply" : "replies"}` }));
  nodes.push(...replies.map((r) => messageNode(r, channel)));
  const list = $("#thread-messages");
  const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  list.replaceChildren(...nodes);
  if (nearBottom) list.scrollTop = list.scrollHeight;
}

function renderModal(modal) {
  const layer = $("#modal-layer");
  if (!modal) { layer.hidden = true; page.modalKey = ""; return; }
  const key = `${modal.id}:${modal.hash}`;
  layer.hidden = false;
  if (key === page.modalKey) return; // the same view: keep what is being typed
  page.modalKey = key;
  $("#modal").dataset.viewId = modal.id;
  $("#modal-body").dataset.viewId = modal.id;
  $("#modal-title").textContent = modal.title;
  $("#modal-body").innerHTML = modal.html;
  $("#modal-error").hidden = true;
  $("#modal-close").textContent = modal.close;
  $("#modal-submit").textContent = modal.submit || "";
  $("#modal-submit").hidden = !modal.submit;
  const first = $("#modal-body .bk-element");
  if (first) first.focus();
}
