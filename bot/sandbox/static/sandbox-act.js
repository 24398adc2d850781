// The sandbox page, second half: what a person does (buttons with their confirm dialogs,
// modal forms, slash commands, switching person or conversation), sent to the server, which
// delivers it to the bot signed as Slack would. Uses the globals of sandbox.js.
"use strict";

// ---- doing things ----------------------------------------------------------------------------

function confirmFirst(confirm) {
  if (!confirm) return Promise.resolve(true);
  $("#confirm-title").textContent = confirm.title;
  $("#confirm-text").innerHTML = confirm.text;
  $("#confirm-yes").textContent = confirm.confirm;
  $("#confirm-yes").className = "bk-button " + (confirm.style === "danger" ? "bk-danger solid" : "bk-primary");
  $("#confirm-no").textContent = confirm.deny;
  $("#confirm-layer").hidden = false;
  return new Promise((resolve) => {
    const done = (answer) => () => { $("#confirm-layer").hidden = true; resolve(answer); };
    $("#confirm-yes").onclick = done(true);
    $("#confirm-no").onclick = done(false);
  });
}

async function press(button) {
  const where = button.closest("[data-surface]");
  if (!where) return;
  const confirm = button.dataset.confirm ? JSON.parse(button.dataset.confirm) : null;
  if (!(await confirmFirst(confirm))) return;
  if (button.dataset.goto) goTo(button.dataset.goto);
  else if (button.dataset.url) window.open(button.dataset.url, "_blank", "noopener");
  const surface = where.dataset.surface;
  button.disabled = true;
  try {
    await act({ kind: "click", surface, channel: where.dataset.channel, ts: where.dataset.ts,
                view_id: where.dataset.viewId, action_id: button.dataset.actionId,
                value: button.dataset.value });
  } finally {
    button.disabled = false;
  }
}

function goTo(target) {
  const [channel, ts] = target.split("/");
  page.highlight = ts;
  navigate(channel === page.data?.dm ? { kind: "dm", id: channel } : { kind: "channel", id: channel });
  const node = document.getElementById(`msg-${ts}`);
  if (node) node.scrollIntoView({ block: "center" });
}

function navigate(nav) {
  page.nav = nav;
  page.thread = null;
  if (nav.kind === "home") act({ kind: "home" }); // Slack sends app_home_opened on every visit
  if (page.data) render();
}

function typedValues() {
  const values = {};
  for (const block of document.querySelectorAll("#modal-body .bk-input")) {
    const field = block.querySelector(".bk-element");
    if (!field) continue;
    const value = field.dataset.type === "checkboxes"
      ? [...field.querySelectorAll("input:checked")].map((box) => box.value).join("\n")
      : field.value;
    values[block.dataset.blockId] = { [field.dataset.actionId]: value };
  }
  return values;
}

function showErrors(errors) {
  let unplaced = [];
  for (const block of document.querySelectorAll("#modal-body .bk-input")) {
    const message = errors[block.dataset.blockId];
    const box = block.querySelector(".bk-error");
    block.classList.toggle("invalid", Boolean(message));
    box.hidden = !message;
    box.textContent = message || "";
  }
  const blocks = [...document.querySelectorAll("#modal-body .bk-input")].map((b) => b.dataset.blockId);
  unplaced = Object.entries(errors).filter(([id]) => !blocks.includes(id)).map(([, m]) => m);
  $("#modal-error").hidden = unplaced.length === 0;
  $("#modal-error").textContent = unplaced.join(" ");
}

async function submitModal(event) {
  event.preventDefault();
  const viewId = $("#modal").dataset.viewId;
  const submit = $("#modal-submit");
  submit.disabled = true;
  try {
    const answer = await act({ kind: "submit", view_id: viewId, values: typedValues() });
    if (answer.errors) showErrors(answer.errors);
  } finally {
    submit.disabled = false;
  }
}

async function closeModal() {
  const viewId = $("#modal").dataset.viewId;
  $("#modal-layer").hidden = true;
  page.modalKey = "";
  await act({ kind: "close", view_id: viewId });
}

async function sendCommand(event) {
  event.preventDefault();
  const input = $("#command");
  const typed = input.value.trim();
  const found = typed.match(/^(\/\S+)\s*([\s\S]*)$/);
  if (!found) {
    toast("Type a slash command such as /change new: the sandbox has nobody to chat with.");
    return;
  }
  input.value = "";
  await act({ kind: "slash", command: found[1], text: found[2],
              channel: currentChannel(page.data) });
}

document.addEventListener("click", (event) => {
  const target = event.target.closest("button.bk-button[data-action-id], [data-nav], .replies, .channel-link");
  if (!target) return;
  event.preventDefault();
  if (target.dataset.nav) showMenu(false);
  if (target.matches("button.bk-button")) press(target);
  else if (target.dataset.nav === "channel") navigate({ kind: "channel", id: target.dataset.channel });
  else if (target.dataset.nav) navigate({ kind: target.dataset.nav, id: "" });
  else if (target.dataset.thread) { page.thread = target.dataset.thread; render(); }
  else if (target.dataset.channel) navigate({ kind: "channel", id: target.dataset.channel });
});
$("#as").addEventListener("change", (event) => {
  page.me = event.target.value;
  localStorage.setItem("sandbox.as", page.me);
  history.replaceState(null, "", `?as=${encodeURIComponent(page.me)}`);
  page.thread = null;
  if (page.nav.kind === "home") act({ kind: "home" });
  restart();
});
function showMenu(open) {
  // On narrow screens the channel list is folded away behind #menu-toggle.
  $("#sidebar").classList.toggle("open", open);
  $("#menu-toggle").setAttribute("aria-expanded", String(open));
}

$("#menu-toggle").addEventListener("click", () =>
  showMenu(!$("#sidebar").classList.contains("open")));
$("#composer").addEventListener("submit", sendCommand);
$("#modal").addEventListener("submit", submitModal);
$("#modal-close").addEventListener("click", closeModal);
$("#modal-x").addEventListener("click", closeModal);
$("#thread-close").addEventListener("click", () => { page.thread = null; render(); });
poll();
