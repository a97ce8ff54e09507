/* The moderators' queue, keyboard-first: j/k move, x selects, a/r/s/d act, e edits, ? helps.
   Actions post the page's own forms with the CSRF token and update the list in place;
   without this script every button and link still works as a plain form or link. */
(function () {
  "use strict";

  const editForm = document.getElementById("edit-form");
  if (editForm) {
    editForm.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        editForm.requestSubmit();
      } else if (event.key === "Escape") {
        event.preventDefault();
        window.location.assign(editForm.querySelector("a.button").href);
      }
    });
  }

  const form = document.getElementById("queue");
  if (!form) return;
  const help = document.getElementById("help");
  const messages = document.getElementById("messages");
  const token = form.querySelector("input[name=csrf_token]").value;
  const tabStatus = form.dataset.status;
  const NEW_STATUS = { approve: "approved", reject: "rejected", spam: "spam", delete: "deleted" };
  let current = null;

  const rows = () => Array.from(form.querySelectorAll("article.comment"));
  const box = (row) => row.querySelector("input[name=ids]");
  const selected = () => rows().filter((row) => box(row).checked);
  const targets = () => (selected().length ? selected() : current ? [current] : []);

  function say(text) {
    const line = document.createElement("p");
    line.className = "flash";
    line.textContent = text;
    messages.replaceChildren(line);
  }

  function setCurrent(row, focus) {
    if (current) current.classList.remove("current");
    current = row || null;
    if (!current) return;
    current.classList.add("current");
    if (focus) current.focus();
    current.scrollIntoView({ block: "nearest" });
  }

  function move(step) {
    const all = rows();
    if (!all.length) return;
    const index = current ? all.indexOf(current) : -1;
    setCurrent(all[Math.min(all.length - 1, Math.max(0, index + step))], true);
  }

  function toggle(row, checked) {
    if (!row) return;
    box(row).checked = checked === undefined ? !box(row).checked : checked;
    row.classList.toggle("selected", box(row).checked);
  }

  // The service answers a request that asks for JSON with its error envelope
  // {"error", "message", "fields"?}; anything else (a proxy's page, say) gets the status line.
  async function problem(response) {
    try {
      const envelope = await response.json();
      if (envelope && typeof envelope.message === "string") return envelope.message;
    } catch (error) { /* not our envelope: fall through to the status line */ }
    return `The server answered ${response.status}; nothing was changed.`;
  }

  function neighbour(chosen) {
    const all = rows();
    const last = all.indexOf(chosen[chosen.length - 1]);
    const first = all.indexOf(chosen[0]);
    return all.slice(last + 1).find((row) => !chosen.includes(row))
      || all.slice(0, first).reverse().find((row) => !chosen.includes(row));
  }

  async function act(action, chosen) {
    if (!chosen.length) {
      say("Select at least one comment first (x), or move to one (j, k).");
      return;
    }
    const what = chosen.length === 1 ? "this comment" : `these ${chosen.length} comments`;
    if (action === "delete" && !window.confirm(`Delete ${what} for good? This cannot be undone.`)) return;
    const body = new FormData();
    body.append("csrf_token", token);
    body.append("action", action);
    body.append("confirm", "yes");
    chosen.forEach((row) => body.append("ids", row.dataset.id));
    chosen.forEach((row) => row.classList.add("leaving"));
    const restore = () => chosen.forEach((row) => row.classList.remove("leaving"));
    let response;
    try {
      response = await fetch(form.getAttribute("action"), {
        method: "POST", body, credentials: "same-origin",
        headers: { Accept: "application/json", "X-CSRFToken": token },
      });
    } catch (error) {
      restore();
      say("The server could not be reached; nothing was changed. Try again.");
      return;
    }
    if (response.status === 401) {
      window.location.assign(form.dataset.login + "?next=" + encodeURIComponent(location.pathname + location.search));
      return;
    }
    if (!response.ok) {
      restore();
      say(await problem(response));
      return;
    }
    const result = await response.json();
    const next = neighbour(chosen);
    for (const row of chosen) {
      if (result.status === tabStatus && result.done.includes(Number(row.dataset.id))) {
        row.classList.remove("leaving");
        toggle(row, false);
      } else {
        row.closest("li").remove();
      }
    }
    document.getElementById("pending-count").textContent = result.pending;
    say(result.message);
    if (!rows().length) {
      window.location.assign(location.pathname + location.search.replace(/([?&])(after|before|select)=[^&]*/g, "$1"));
      return;
    }
    setCurrent(rows().includes(next) ? next : rows()[0], true);
  }

  const keys = {
    j: () => move(1),
    k: () => move(-1),
    x: () => toggle(current),
    a: () => act("approve", targets()),
    r: () => act("reject", targets()),
    s: () => act("spam", targets()),
    d: () => act("delete", targets()),
    e: () => current && window.location.assign(current.querySelector("[data-action=edit]").href),
    p: () => { if (current) { const details = current.querySelector("details"); details.open = !details.open; } },
    "?": () => help.showModal(),
  };

  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || help.open) return;
    const field = event.target.closest("input, textarea, select, [contenteditable]");
    if (field && field.type !== "checkbox") return;
    const handler = keys[event.key];
    if (!handler) return;
    event.preventDefault();
    handler();
  });

  form.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    const row = event.target.closest("article.comment");
    if (button && button.dataset.action && row) {
      event.preventDefault();
      setCurrent(row, false);
      act(button.dataset.action, [row]);
    } else if (button && button.name === "action") {
      event.preventDefault();
      act(button.value, selected());
    } else if (row) {
      setCurrent(row, false);
    }
  });

  form.addEventListener("change", (event) => {
    const row = event.target.closest("article.comment");
    if (row && event.target.name === "ids") row.classList.toggle("selected", event.target.checked);
  });

  const selectAll = document.getElementById("select-all");
  selectAll.addEventListener("click", (event) => {
    event.preventDefault();
    const all = rows();
    const on = !all.every((row) => box(row).checked);
    all.forEach((row) => toggle(row, on));
    selectAll.textContent = on ? "Select none" : "Select all on this page";
  });

  const showHelp = document.getElementById("show-help");
  showHelp.hidden = false;
  showHelp.addEventListener("click", () => help.showModal());

  rows().forEach((row) => row.classList.toggle("selected", box(row).checked));
  const target = location.hash.startsWith("#c-") && document.getElementById(location.hash.slice(1));
  setCurrent(target || rows()[0], true);
})();
