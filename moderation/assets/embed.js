/* Comments embed, readable source: `make embed` minifies it (terser) into moderation/static/embed.js,
   with the English catalogue (i18n/en.json) built in and the versions of the other catalogues and of
   the write script filled in. An article's approved comments, threaded, and a "Leave a Reply" form,
   drawn in a shadow root in one DOM write. Every string a person wrote goes in as text (textContent,
   setAttribute); only the service's sanitized comment `html` is inserted as HTML. Every string a
   reader sees comes from the message catalogue. Written to stay small (the served file has a budget,
   tests/test_embed_assets.py): what only a reader who writes needs (posting, its errors, reporting)
   is in write.js, fetched when they first focus the form or press Report. */
(() => {
  const script = document.currentScript;
  if (!script || !script.src) return;
  const doc = document, data = name => script.getAttribute("data-" + name), q = encodeURIComponent;
  const BASE = new URL(script.src).origin, ARTICLE = data("article"), NEWEST = data("order") == "newest";
  const EN = __EN__, LANGS = __LANGS__, WRITE = __WRITE__;
  const LOCAL = "localStorage", SESSION = "sessionStorage", SAVED = "comments:commenter", DEPTH = 5, LONG_THREAD = 5;
  // data-lang, else the page's <html lang> (de-AT → de), else English: the first the service has.
  let lang = [data("lang"), doc.documentElement.lang].map(tag => (tag || "").toLowerCase().split("-")[0])
    .find(code => code == "en" || LANGS[code]) || "en", M, plurals, dates;

  const get = (path, options) => fetch(BASE + path, { credentials: "omit", ...options }).then(response =>
    response.json().catch(() => ({})).then(b => ({ s: response.status, b, h: response.headers })));
  const api = (path, options) => get("/api/v1" + path, options);

  // Everything the first showing needs is asked for now, at once, before anything else is done.
  const target = doc.getElementById(data("target") || "comments"), mounting = ARTICLE && target && !target.shadowRoot;
  const LIST = "/articles/" + q(ARTICLE) + "/comments?limit=50" + (NEWEST ? "&order=newest" : "");
  const firstPage = mounting && api(LIST).catch(() => ({}));
  const newToken = () => api("/form-token?article=" + q(ARTICLE)).then(r => r.b, () => ({}));
  const english = () => (lang = "en", EN);
  const catalogue = lang == "en" ? EN : get("/embed/i18n/" + lang + ".json?v=" + LANGS[lang])
    .then(r => r.s == 200 ? r.b : english(), english);
  /* t("comments", {n: 3}): the message in the reader's language (English where the catalogue lacks
     it), its CLDR plural form chosen by Intl.PluralRules for n, {placeholders} filled in. */
  const t = (key, vars = {}) => {
    const text = M[key] || EN[key];
    return (text.other ? text[plurals.select(vars.n)] || text.other : text)
      .replace(/{(\w+)}/g, (_, name) => vars[name].toLocaleString(lang));
  };

  // h(tag, attributes, ...children): strings become text nodes; an attribute null or false is left out.
  const h = (tag, attrs, ...kids) => {
    const el = /^(svg|path)$/.test(tag) ? doc.createElementNS("http://www.w3.org/2000/svg", tag) : doc.createElement(tag);
    for (const name in attrs) if (attrs[name] != null && attrs[name] !== false) el.setAttribute(name, attrs[name] === true ? "" : attrs[name]);
    el.append(...kids.filter(kid => kid != null));
    return el;
  };
  const button = (label, attrs) => h("button", { type: "button", class: "btn", part: "button", ...attrs }, label);

  /* The identicon the service draws at /avatars/<digest>.svg (moderation/core/avatars.py), drawn
     here, so fifty comments cost no fifty requests: the low 15 bits fill a 5×5 grid's left three
     columns, mirrored (the middle column if none); the top 16 bits modulo 360 are the hue, at 60%
     saturation and 50% lightness, on the server's #f0f0f0 (the avatar's background). */
  const avatar = url => {
    const digest = /\/([0-9a-f]{16})\.svg$/.exec(url), bits = digest && parseInt(digest[1].slice(-4), 16);
    let path = "";
    for (let y = 0; y < 5; y++) for (let x = 0; x < 5; x++) if (bits & 32767 ? bits >> y * 3 + (x < 3 ? x : 4 - x) & 1 : x == 2) path += `M${x} ${y}h1v1h-1z`;
    return digest ? h("svg", { class: "avatar", part: "avatar", viewBox: "0 0 5 5", "aria-hidden": "true" },
      h("path", { fill: `hsl(${parseInt(digest[1].slice(0, 4), 16) % 360},60%,50%)`, d: path }))
      : h("span", { class: "avatar", part: "avatar" });
  };

  const load = (kind, key) => { try { return JSON.parse(window[kind].getItem(key)); } catch (e) { /* blocked */ } };
  const save = (kind, key, value) => {
    try { value == null ? window[kind].removeItem(key) : window[kind].setItem(key, JSON.stringify(value)); } catch (e) { /* full or blocked */ }
  };

  /* The colours, each a documented custom property a host page may set on the embed's element
     (--comments-accent …) or above it, with a light and a dark default: name, light, dark. */
  const colours = dark => ("fg #1f1f1f #ececec muted #595959 #b4b4b4 bg #fff #18181a line #d4d4d4 #45454a border " +
    "#6b6b6b #9a9aa0 accent #0b57d0 #8ab4f8 on-accent #fff #0b1a33 error #b3261e #ffb4ab note #fdf3d8 #3a3000 on-note #4d3800 #fbe7a6")
    .replace(/(\S+) (\S+) (\S+) ?/g, (_, name, light, night) => `--${name}:var(--comments-${name},${dark ? night : light});`);
  const CSS = `:host{all:initial;display:block;font:inherit;color:var(--fg);background:var(--bg);${colours()}` +
    "--r:var(--comments-radius,4px);--s:var(--comments-space,.9em)}" +
    `@media(prefers-color-scheme:dark){:host(:not([data-color-scheme=light])){${colours(1)}}}:host([data-color-scheme=dark]){${colours(1)}}` +
    "*{box-sizing:border-box}ol{list-style:none;margin:0;padding:0}.children{padding-inline-start:min(4vw,2.5rem);border-inline-start:2px solid var(--line)}" +
    "article{padding:var(--s) 0}.meta{display:flex;flex-wrap:wrap;align-items:center;gap:.2em .6em}" +
    ".avatar{width:40px;height:40px;border-radius:var(--r);background:#f0f0f0}.fn,label,legend{font-weight:700}" +
    "time,.notes,.status{color:var(--muted);font-size:.9em}.content{overflow-wrap:anywhere}pre{overflow:auto}.pending .content{white-space:pre-wrap}" +
    ".await{padding:.3em .6em;border-radius:var(--r);background:var(--note);color:var(--on-note)}a,.link{color:var(--accent)}" +
    ".link{font:inherit;background:0;border:0;padding:0;margin-inline-end:1em;text-decoration:underline;cursor:pointer}" +
    ":focus-visible{outline:2px solid var(--accent)}label,legend{display:block}form p{margin:var(--s) 0}" +
    "input,textarea{font:inherit;color:inherit;background:0;border:1px solid var(--border);border-radius:var(--r);padding:.5em;width:100%;max-width:36rem}" +
    "textarea{min-height:9em}[type=checkbox],[type=radio]{width:auto;margin:0 .4em}.consent label{display:inline;font-weight:400}" +
    "fieldset{border:0;padding:0}.alert,.req{color:var(--error);font-weight:700}" +
    ".btn{font:inherit;font-weight:700;padding:.5em 1.2em;border:0;border-radius:var(--r);background:var(--accent);color:var(--on-accent);cursor:pointer}" +
    "[hidden]{display:none!important}.hp{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%)}";

  /* write.js, fetched once: what a reader who writes needs, and the counts of a listing page. */
  let writeScript;
  const loadWrite = () => writeScript = writeScript || new Promise((resolve, reject) => {
    window.commentsWrite = resolve;  // embed-write.js hands over its `make`
    doc.head.appendChild(h("script", { src: BASE + "/embed-write.js?v=" + WRITE })).onerror = reject;
  }).catch(() => { writeScript = 0; throw 0; });

  function mount(first) {
    const draftKey = "comments:draft:" + ARTICLE, pendingKey = "comments:pending:" + ARTICLE;
    const nodes = {}, held = {};  // shown comments by id; replies waiting for their parent, by its id
    const stored = load(LOCAL, SAVED), saved = stored || {}, draft = load(SESSION, draftKey) || {};
    // What write.js reads and changes too: the form token, commenter key, picture, count, reply and notice.
    const S = { key: saved.key, picture: saved.avatar, parent: null, lang, article: ARTICLE,
                notice: /[?&]comment=pending(&|$)/.test(location.search) ? t("thanks") : "" };
    let next, closed, writer;

    const heading = h("h2", { id: "comments-title", hidden: true });
    const status = h("p", { class: "status", role: "status", id: "status" });
    const retry = button(t("retry"), { hidden: true });
    const list = h("ol", { class: "comment-list" });
    const more = button("", { class: "btn more", hidden: true });
    const skip = h("a", { href: "#respond", hidden: true }, t("skip"));

    const FIELDS = { comment: "comment", author: "name", email: "email", url: "website" };
    const field = (name, control, required, note) => {
      Object.assign(control, { id: name, name, required, note });
      control.setAttribute("part", "field");
      control.error = h("span", { id: name + "-error", class: "error", hidden: true });
      return h("p", { class: "comment-form-" + name }, h("label", { for: name }, t(FIELDS[name]),
        required ? " " : null, required ? h("span", { class: "req", "aria-hidden": "true" }, "*") : null), control, control.error);
    };
    const box = (id, label) => h("p", { class: "consent" }, h("input", { type: "checkbox", id, name: id, value: "yes" }), " ", h("label", { for: id }, label));
    const consentBox = box("wp-comment-cookies-consent", t("save")), consent = consentBox.firstChild;
    // The honeypot (`hp`), unseen and unreachable; clipped, as an off-screen offset widens RTL pages.
    const hp = h("input", { type: "text", id: "website_url", name: "website_url", tabindex: "-1", autocomplete: "off" });
    const alert = h("p", { class: "alert", role: "alert", id: "form-alert" });
    const submit = h("button", { class: "btn submit", part: "button", id: "submit" }, t("post"));
    const title = h("span", { id: "reply-title-text" }, t("leave"));
    const cancel = button(t("cancel"), { class: "link", part: null, id: "cancel-comment-reply-link", hidden: true });
    const form = h("form", { novalidate: true, part: "form", "aria-labelledby": title.id },
      h("p", { class: "notes" }, h("span", { id: "email-notes" }, t("emailNotes")), " ", t("required"), " ", h("span", { class: "req" }, "*")),
      field("comment", h("textarea", { rows: 8 }), true, "comment-notes"),
      h("p", { class: "notes", id: "comment-notes" }, t("format")),
      field("author", h("input", { autocomplete: "name" }), true),
      field("email", h("input", { type: "email", autocomplete: "email" }), true, "email-notes"),
      field("url", h("input", { type: "url", autocomplete: "url" })),
      h("p", { class: "hp", "aria-hidden": "true" }, h("label", { for: hp.id }, "Leave this empty"), hp),
      consentBox, alert, h("p", {}, submit));
    const respond = h("div", { id: "respond" }, h("h3", { id: "reply-title" }, title, " ", cancel), form);
    const closedNote = h("p", { class: "notes", hidden: true }, t("closed"));  // respond comes back after it
    const section = h("section", { class: "c", part: "root", lang, dir: M.dir || "ltr", "aria-labelledby": heading.id }, heading,
      h("p", { class: "notes" }, h("a", { rel: "alternate", type: "application/atom+xml", href: BASE + "/feeds/articles/" + q(ARTICLE) + ".atom" }, t("feed"))),
      skip, status, retry, list, more, closedNote, respond);
    const control = name => form.elements[name], comment = control("comment");

    function render(c, pending) {
      const author = c.author, p = nodes[c.parent_id], depth = p ? Math.min(p.depth + 1, DEPTH) : 1, vars = { name: author.name };
      const body = h("div", { class: "content" }), link = /^https?:\/\//i.test(author.website);
      if (pending) body.textContent = c.body;
      else body.innerHTML = c.html;  // the service's sanitized HTML: the one string inserted as HTML
      const reply = pending || closed || depth >= DEPTH ? null : button(t("reply"), { class: "link reply", part: null, "aria-label": t("replyTo", vars) });
      const report = pending ? null : button(t("report"), { class: "link report", part: null, "aria-label": t("reportLabel", vars) });
      const date = new Date(c.created_at);
      const li = h("li", { id: "comment-" + c.id, class: "comment depth-" + depth + (pending ? " pending" : "") },
        h("article", { tabindex: "-1", part: "comment", "aria-label": t("by", vars) },
          h("div", { class: "meta" }, avatar(author.avatar),
            h(link ? "a" : "span", { class: "fn", part: "author", href: link && author.website, rel: link && "nofollow ugc" }, author.name),
            h("a", { class: "when", href: location.href.split("#")[0] + "#comment-" + c.id }, h("time", { datetime: c.created_at },
              isNaN(date) ? c.created_at : dates.format(date)))),
          pending ? h("p", { class: "await" }, t("await")) : null, body, reply, report),
        h("ol", { class: "children" }));
      if (reply) reply.onclick = () => writing(w => w.reply(c, li, reply));
      if (report) report.onclick = () => writing(w => w.report(c, report));
      return { c, li, depth, kids: li.lastChild, pending, reply: () => writing(w => w.reply(c, li, reply, 1)) };
    }

    /* Shows c (once; an approved one replaces its pending copy). A reply waits for its parent (the
       newest-first order lists replies before it) unless `orphan`. In the oldest-first order, and for
       a comment just written, it goes last; a page read newest first puts what it lists first. */
    function add(c, pending, fresh, orphan) {
      const old = nodes[c.id], p = nodes[c.parent_id];
      if (old && !(old.pending && !pending)) return;
      if (c.parent_id && !p && !orphan) return void (held[c.parent_id] = held[c.parent_id] || []).push(c);
      const node = nodes[c.id] = render(c, pending), li = node.li, early = NEWEST && !fresh;
      if (old) {
        old.li.replaceWith(li);
        node.kids.replaceWith(node.kids = old.kids);
      } else if (!p) list[NEWEST && fresh ? "prepend" : "append"](li);
      else if (p.depth < DEPTH) p.kids[early ? "prepend" : "append"](li);
      else early ? p.li.after(li) : p.li.parentNode.append(li);
      (held[c.id] || []).forEach(reply => add(reply, pending, fresh));
      delete held[c.id];
      return node;
    }

    const setTotal = n => {
      heading.textContent = t("comments", { n: S.total = n });
      heading.hidden = !n;
      skip.hidden = n < LONG_THREAD || closed;
    };
    const pendingList = () => load(SESSION, pendingKey) || [];  // the reader's own comments awaiting moderation

    function showPage(r) {
      respond.hidden = closed = r.b.closed;
      closedNote.hidden = !closed;
      r.b.comments.forEach(c => add(c, 0));
      if (!(next = r.b.next)) Object.values(held).flat().forEach(c => add(c, 0, 0, 1));
      setTotal(r.b.count);
      more.hidden = !next;
      more.textContent = t("more", { n: S.total - Object.values(nodes).filter(node => !node.pending).length });
      status.textContent = S.notice;
      retry.hidden = 1;
      const kept = pendingList().filter(c => {
        const now = nodes[c.id], published = now && !now.pending;
        // Their own, published: its picture is theirs, kept with their details (when they let us keep those).
        if (published && now.c.author.avatar && stored) save(LOCAL, SAVED, { ...stored, avatar: S.picture = now.c.author.avatar });
        return !published;
      });
      save(SESSION, pendingKey, kept[0] ? kept : null);
      kept.forEach(c => add(c, 1, 1, 1));
    }
    const failed = () => {
      status.textContent = t("loadFailed");
      retry.hidden = 0;
    };
    const loadPage = () => {
      more.setAttribute("aria-disabled", true);
      return api(LIST + (next ? "&after=" + q(next) : "")).then(showPage).catch(failed).then(() => more.removeAttribute("aria-disabled"));
    };
    more.onclick = () => more.hasAttribute("aria-disabled") || loadPage();
    retry.onclick = () => {
      status.textContent = t("loading");
      loadPage().then(() => (retry.hidden ? comment : retry).focus());
    };
    skip.onclick = event => {
      event.preventDefault();
      comment.focus();
    };

    consent.onchange = () => consent.checked || save(LOCAL, SAVED);  // forgotten at once

    /* write.js runs on the first focus in the embed (so it is there by the time they post or reply) or a press on Reply or Report. */
    const X = { h, t, api, S, add, setTotal, save, load, newToken, en: EN };
    const write = () => loadWrite().then(make => writer = writer || make(X, root));
    const offline = () => alert.textContent = t("offline");
    section.addEventListener("focusin", () => write().catch(offline));
    const writing = use => write().then(use, offline);
    form.onsubmit = event => {
      event.preventDefault();
      writing(w => w.send());
    };

    for (const name of ["author", "email", "url"]) control(name).value = saved[name] || "";
    consent.checked = stored;
    comment.value = draft.text || "";
    status.textContent = S.notice || t("loading");
    setTotal(0);  // the first number written in the reader's language readies its formatter, while the list is on its way
    // Not an inline <style>, so a host page's strict style-src CSP needs no 'unsafe-inline'.
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    let root;
    // All of the above was made while the list was on its way; now only its comments are left to draw.
    // (The shadow root comes with them: attached, it would hide a server-rendered list meanwhile.)
    first.then(r => {
      try { showPage(r); } catch (e) { failed(); }
      (root = target.attachShadow({ mode: "open" })).adoptedStyleSheets = [sheet];
      if (data("color-scheme")) target.setAttribute("data-color-scheme", data("color-scheme"));
      target.replaceChildren();  // a server-rendered list or a plain form inside the target: the embed takes its place
      root.append(section);  // the one write into the page
      // The form's one-use token, asked for once the comments are shown (not competing with them).
      (S.token = newToken()).then(b => b.notices && write().catch(() => { /* no boxes, then */ }));  // write.js shows the notices' boxes
      const was = nodes[draft.parent];
      if (was && !was.pending) was.reply();
      const scrollToHash = () => {  // the page's own fragment navigation cannot see into the shadow root
        // `?.`: no exception for a fragment that is none of ours (throwing costs ~5 ms before the first paint).
        try { root.getElementById(decodeURIComponent(location.hash.slice(1)))?.scrollIntoView(); } catch (e) { /* a bad % escape */ }
      };
      scrollToHash();
      addEventListener("hashchange", scrollToHash);
    });
  }

  Promise.resolve(catalogue).then(messages => {
    M = messages;
    plurals = new Intl.PluralRules(lang);
    // Made once, while the list is on its way: each new formatter costs a millisecond or more.
    dates = new Intl.DateTimeFormat(lang, { dateStyle: "long", timeStyle: "short" });
    if (doc.querySelector("[data-comments-count]")) loadWrite().then(make => make.counts(api, t, EN), () => { /* the links still work */ });
    if (mounting) mount(firstPage);
  });
})();
