/* Comments embed: an article's approved comments, threaded, and a "Leave a Reply" form.
   Plain JavaScript, no framework, no build step. Every string a person wrote goes into
   the page as text (textContent, setAttribute); only the service's sanitized comment
   `html` is inserted as HTML. Styles live in a shadow root, apart from the host page. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.src) return;
  var BASE = new URL(script.src).origin;
  var ARTICLE = script.getAttribute("data-article");
  var MAX_DEPTH = 5, PAGE = 50, SAVED = "comments:commenter";
  var ARTICLE_ID = /^[A-Za-z0-9][A-Za-z0-9._~-]{0,127}$/;
  var FIELD_OF = { body: "comment", name: "author", email: "email", website: "url" };
  var LABEL = { comment: "Comment", author: "Name", email: "Email", url: "Website" };
  var REQUIRED = { comment: "Please type your comment.", author: "Please enter your name.",
                   email: "Please enter your email address." };
  var KEPT = " Your comment is still here.";

  function h(tag, attrs, kids) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value === true) el.setAttribute(name, "");
      else if (value != null && value !== false) el.setAttribute(name, value);
    });
    (kids || []).forEach(function (kid) { if (kid != null) el.append(kid); });  // strings become text nodes
    return el;
  }

  function store(kind) {
    try { var s = window[kind]; s.getItem(SAVED); return s; } catch (e) { return null; }
  }
  var local = store("localStorage"), session = store("sessionStorage");
  function load(s, key) { try { return s && JSON.parse(s.getItem(key)); } catch (e) { return null; } }
  function save(s, key, value) {
    try { if (!s) return; if (value == null) s.removeItem(key); else s.setItem(key, JSON.stringify(value)); } catch (e) { /* full or blocked */ }
  }

  function api(path, options) {
    return fetch(BASE + "/api/v1" + path, Object.assign({ credentials: "omit" }, options)).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        return { status: response.status, body: body, headers: response.headers };
      });
    });
  }

  function plural(n) { return n === 1 ? "1 Comment" : n + " Comments"; }

  /* The post's title: og:title, else the page's title less its last " · Site name"; its canonical URL. */
  function articleTitle() {
    var og = document.querySelector("meta[property='og:title']"), t = og && og.content.trim(), cut;
    if (!t) t = (cut = /^(.*\S.*)(?: [\u00b7|\u2013\u2014-] |:: )/.exec(document.title)) ? cut[1] : document.title;
    return Array.from(t.replace(/[\u0000-\u001f\u007f-\u009f]/g, "").trim()).slice(0, 300).join("") || undefined;
  }
  function articleUrl() {
    var link = document.querySelector("link[rel~=canonical][href]"), url = (link || location).href.split("#")[0];
    return /^https?:/.test(url) && url.length <= 2000 ? url : undefined;
  }

  /* Listing pages: <a data-comments-count="12345"> becomes "12 Comments", from one request per 100 ids. */
  function fillCounts() {
    var links = [].slice.call(document.querySelectorAll("[data-comments-count]"));
    var ids = links.map(function (a) { return a.getAttribute("data-comments-count"); })
      .filter(function (id, i, all) { return ARTICLE_ID.test(id) && all.indexOf(id) === i; });
    for (var i = 0; i < ids.length; i += 100) {
      api("/counts?" + ids.slice(i, i + 100).map(function (id) { return "article=" + encodeURIComponent(id); }).join("&"))
        .then(function (r) {
          if (r.status !== 200) return;
          links.forEach(function (a) {
            var n = r.body.counts[a.getAttribute("data-comments-count")];
            if (typeof n === "number") a.textContent = n ? plural(n) : "Click to comment";
          });
        }, function () { /* counts are a nicety; the links still work */ });
    }
  }

  var CSS = ":host{all:initial;display:block;color:var(--fg);background:var(--bg);font:16px/1.55 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;" +
    "--fg:#1f1f1f;--muted:#595959;--bg:#fff;--line:#d4d4d4;--field:#fff;--border:#6b6b6b;--accent:#0b57d0;--on-accent:#fff;--error:#b3261e;--note:#fdf3d8;--on-note:#4d3800}" +
    "@media(prefers-color-scheme:dark){:host(:not([data-color-scheme=light])){DARK}}:host([data-color-scheme=dark]){DARK}" +
    "*{box-sizing:border-box}.c{padding:.25rem 0}h2{font-size:1.35rem;margin:1rem 0}h3{font-size:1.2rem;margin:1.5rem 0 .5rem}" +
    "ol{list-style:none;margin:0;padding:0}.children{padding-left:clamp(.75rem,4vw,2.5rem);border-left:2px solid var(--line)}" +
    "article{padding:.75rem 0}.meta{display:flex;flex-wrap:wrap;align-items:center;gap:.2rem .6rem}" +
    ".avatar{width:40px;height:40px;border-radius:6px;flex:none;background:var(--line)}.fn{font-weight:700}" +
    "time,.notes,.status,.meta a.when{color:var(--muted);font-size:.9rem}.content{overflow-wrap:anywhere}.content p{margin:.5rem 0}" +
    ".content pre{overflow:auto}.pending .content{white-space:pre-wrap}.await{margin:.4rem 0;padding:.3rem .6rem;border-radius:4px;background:var(--note);color:var(--on-note);font-style:italic}" +
    "a{color:var(--accent)}button.link{font:inherit;font-size:.9rem;background:none;border:0;padding:.2rem 0;color:var(--accent);text-decoration:underline;cursor:pointer}" +
    ":focus-visible{outline:3px solid var(--accent);outline-offset:2px}label{display:block;font-weight:600;margin-bottom:.2rem}" +
    "form p{margin:.9rem 0}input,textarea{font:inherit;color:var(--fg);background:var(--field);border:1px solid var(--border);border-radius:4px;padding:.5rem .6rem;width:100%;max-width:36rem}" +
    "textarea{min-height:9rem;resize:vertical}input[type=checkbox]{width:1.1rem;height:1.1rem;margin:0 .4rem 0 0;vertical-align:-.15rem}.consent label{display:inline;font-weight:400}" +
    "fieldset{border:0;padding:0;margin:0}legend{font-weight:600}.notices p{margin:.3rem 0}" +
    "[aria-invalid=true]{border:2px solid var(--error)}.error,.alert{color:var(--error);font-weight:600}.error{display:block;margin-top:.2rem}.req{color:var(--error)}" +
    ".submit,.more{font:inherit;font-weight:600;padding:.55rem 1.2rem;border:0;border-radius:4px;background:var(--accent);color:var(--on-accent);cursor:pointer}" +
    ".more{margin:.5rem 0}[aria-disabled=true]{opacity:.7;cursor:progress}[hidden]{display:none!important}" +
    ".hp{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%)}";
  var DARK = "--fg:#ececec;--muted:#b4b4b4;--bg:#18181a;--line:#45454a;--field:#222225;--border:#9a9aa0;--accent:#8ab4f8;--on-accent:#0b1a33;--error:#ffb4ab;--note:#3a3000;--on-note:#fbe7a6";

  function mount(host) {
    var root = host.attachShadow({ mode: "open" });
    var scheme = script.getAttribute("data-color-scheme");
    if (scheme) host.setAttribute("data-color-scheme", scheme);
    var draftKey = "comments:draft:" + ARTICLE, pendingKey = "comments:pending:" + ARTICLE;
    var nodes = {}, total = 0, next = null, parent = null, replyButton = null, busy = false;
    var notice = /[?&]comment=pending(&|$)/.test(location.search) ? "Thank you. Your comment is awaiting moderation." : "";

    var heading = h("h2", { id: "comments-title", hidden: true });
    var status = h("p", { class: "status", role: "status" });
    var list = h("ol", { class: "comment-list" });
    var more = h("button", { type: "button", class: "more", hidden: true }, ["Load more comments"]);

    function field(name, label, control, required, note) {
      control.id = name;
      control.name = name;
      if (required) control.required = true;
      var error = h("span", { id: name + "-error", class: "error", hidden: true });
      if (note) control.setAttribute("aria-describedby", note);
      return { control: control, error: error, note: note, p: h("p", { class: "comment-form-" + name }, [
        h("label", { for: name }, [label, required ? " " : null, required ? h("span", { class: "req", "aria-hidden": "true" }, ["*"]) : null]),
        control, error]) };
    }
    var fields = {
      comment: field("comment", "Comment", h("textarea", { rows: 8, cols: 45 }), true),
      author: field("author", "Name", h("input", { type: "text", autocomplete: "name" }), true),
      email: field("email", "Email", h("input", { type: "email", autocomplete: "email" }), true, "email-notes"),
      url: field("url", "Website", h("input", { type: "url", autocomplete: "url" }), false)
    };
    var consent = h("input", { type: "checkbox", id: "wp-comment-cookies-consent", name: "wp-comment-cookies-consent", value: "yes" });
    // Email notices: unticked, and shown only once the service says it sends mail (double opt-in there).
    var notifyApproval = h("input", { type: "checkbox", id: "comment_notify_approval", name: "comment_notify_approval" });
    var notifyReplies = h("input", { type: "checkbox", id: "comment_notify_replies", name: "comment_notify_replies" });
    var notices = h("fieldset", { class: "notices", hidden: true }, [
      h("legend", {}, ["Email me"]),
      h("p", { class: "consent" }, [notifyApproval, " ", h("label", { for: "comment_notify_approval" }, ["when my comment is published"])]),
      h("p", { class: "consent" }, [notifyReplies, " ", h("label", { for: "comment_notify_replies" }, ["when someone replies to it"])]),
      h("p", { class: "notes" }, ["We first email you to confirm your address. Every email has a link to stop them."])]);
    // The honeypot (`hp`), unseen and unreachable; clipped, as an off-screen offset widens RTL pages.
    var hp = h("input", { type: "text", id: "website_url", name: "website_url", tabindex: "-1", autocomplete: "off" });
    var alert = h("p", { class: "alert", role: "alert", id: "form-alert" });
    var submit = h("button", { type: "submit", class: "submit", id: "submit" }, ["Post Comment"]);
    var title = h("span", { id: "reply-title-text" }, ["Leave a Reply"]);
    var cancel = h("button", { type: "button", class: "link", id: "cancel-comment-reply-link", hidden: true }, ["Cancel reply"]);
    var form = h("form", { novalidate: true, "aria-labelledby": "reply-title-text" }, [
      h("p", { class: "notes" }, [h("span", { id: "email-notes" }, ["Your email address will not be published."]), " ",
        h("span", {}, ["Required fields are marked ", h("span", { class: "req" }, ["*"])])]),
      fields.comment.p, fields.author.p, fields.email.p, fields.url.p,
      h("p", { class: "hp", "aria-hidden": "true" }, [h("label", { for: "website_url" }, ["Leave this field empty"]), hp]),
      h("p", { class: "consent" }, [consent, " ", h("label", { for: "wp-comment-cookies-consent" },
        ["Save my name, email, and website in this browser for the next time I comment."])]),
      notices, alert, h("p", {}, [submit])]);
    var respond = h("div", { id: "respond" }, [h("h3", { id: "reply-title" }, [title, " ", cancel]), form]);
    var feed = h("p", { class: "notes" }, [h("a", { rel: "alternate", type: "application/atom+xml",
      href: BASE + "/feeds/articles/" + encodeURIComponent(ARTICLE) + ".atom" }, ["Comments feed"])]);
    var section = h("section", { class: "c", "aria-label": "Comments" }, [heading, feed, status, list, more, respond]);
    var css = CSS.replace(/DARK/g, DARK), sheet;
    // Not an inline <style>, so a host page's strict style-src CSP needs no 'unsafe-inline'.
    try { (sheet = new CSSStyleSheet()).replaceSync(css); root.adoptedStyleSheets = [sheet]; } catch (e) { root.append(h("style", {}, [css])); }
    root.append(section);

    function when(iso) {
      var date = new Date(iso);
      var text = isNaN(date) ? iso : new Intl.DateTimeFormat(undefined, { dateStyle: "long", timeStyle: "short" }).format(date);
      return h("time", { datetime: iso }, [text]);
    }

    function render(c, pending) {
      var author = c.author || {}, depth = depthOf(c), li, node, body = h("div", { class: "content" });
      var name = /^https?:\/\//i.test(author.website || "")
        ? h("a", { class: "fn", href: author.website, rel: "nofollow ugc" }, [author.name])
        : h("span", { class: "fn" }, [author.name]);
      if (pending) body.textContent = c.body;
      else body.innerHTML = c.html;  // the service's sanitized HTML: the one string inserted as HTML
      var reply = pending || depth >= MAX_DEPTH ? null
        : h("button", { type: "button", class: "link reply", "aria-label": "Reply to " + author.name }, ["Reply"]);
      li = h("li", { id: "comment-" + c.id, class: "comment depth-" + depth + (pending ? " pending" : "") }, [
        h("article", { tabindex: "-1", "aria-label": "Comment by " + author.name }, [
          h("div", { class: "meta" }, [
            author.avatar ? h("img", { class: "avatar", src: new URL(author.avatar, BASE).href, alt: "", width: 40, height: 40, loading: "lazy" })
                          : h("span", { class: "avatar" }),
            name, h("a", { class: "when", href: location.href.split("#")[0] + "#comment-" + c.id }, [when(c.created_at)])]),
          pending ? h("p", { class: "await" }, ["Your comment is awaiting moderation."]) : null,
          body, reply]),
        h("ol", { class: "children" })]);
      if (reply) reply.addEventListener("click", function () { replyTo(c, li, reply); });
      node = { li: li, depth: depth, children: li.lastChild, pending: pending, reply: function () { replyTo(c, li, reply, true); } };
      return node;
    }

    function depthOf(c) {
      var p = c.parent_id && nodes[c.parent_id];
      return p ? Math.min(p.depth + 1, MAX_DEPTH) : 1;
    }

    function add(c, pending) {
      var old = nodes[c.id];
      if (old && !(old.pending && !pending)) return;  // already shown (an approved one replaces its pending copy)
      var node = render(c, pending), p = c.parent_id && nodes[c.parent_id];
      if (old) {
        old.li.replaceWith(node.li);
        node.children.replaceWith(old.children);
        node.children = old.children;
      } else if (p) (p.depth < MAX_DEPTH ? p.children : p.li.parentNode).append(node.li);
      else list.append(node.li);
      nodes[c.id] = node;
      return node;
    }

    function setTotal(n) {
      total = n;
      heading.textContent = plural(n);
      heading.hidden = !n;
    }

    function shown() {
      return Object.keys(nodes).filter(function (id) { return !nodes[id].pending; }).length;
    }

    function pendingList() { return load(session, pendingKey) || []; }

    function showPending() {
      var kept = pendingList().filter(function (c) { return !(nodes[c.id] && !nodes[c.id].pending); });
      save(session, pendingKey, kept.length ? kept : null);
      kept.forEach(function (c) { add(c, true); });
    }

    function loadPage() {
      var query = "?limit=" + PAGE + (next ? "&after=" + encodeURIComponent(next) : "");
      more.setAttribute("aria-disabled", "true");
      return api("/articles/" + encodeURIComponent(ARTICLE) + "/comments" + query).then(function (r) {
        if (r.status !== 200) throw new Error(r.body.message || "status " + r.status);
        r.body.comments.forEach(function (c) { add(c, false); });
        setTotal(r.body.count);
        next = r.body.next;
        more.hidden = !next;
        more.textContent = "Load more comments (" + (total - shown()) + " more)";
        status.textContent = notice;
        showPending();
      }).catch(function () {
        status.textContent = "The comments could not be loaded. Please reload the page to try again.";
      }).then(function () { more.removeAttribute("aria-disabled"); });
    }
    more.addEventListener("click", function () { if (!more.hasAttribute("aria-disabled")) loadPage(); });

    function replyTo(c, li, button, quietly) {
      parent = c.id;
      replyButton = button;
      li.insertBefore(respond, li.lastChild);
      title.textContent = "Reply to " + c.author.name;
      cancel.hidden = false;
      saveDraft();
      if (!quietly) fields.comment.control.focus();
    }

    function cancelReply(focusBack) {
      parent = null;
      section.append(respond);
      title.textContent = "Leave a Reply";
      cancel.hidden = true;
      saveDraft();
      if (focusBack && replyButton && replyButton.isConnected) replyButton.focus();
      replyButton = null;
    }
    cancel.addEventListener("click", function () { cancelReply(true); });

    function values() {
      var v = {};
      Object.keys(fields).forEach(function (name) { v[name] = fields[name].control.value; });
      return v;
    }

    function chars(text) { return Array.from(text.normalize("NFC").trim()).length; }

    function validate(v) {
      var errors = {}, max = { comment: 5000, author: 100, email: 254, url: 200 };
      Object.keys(max).forEach(function (name) {
        var n = chars(v[name]);
        if (!n && REQUIRED[name]) errors[name] = REQUIRED[name];
        else if (n > max[name]) errors[name] = LABEL[name] + " must be at most " + max[name] + " characters (it has " + n + ").";
      });
      if (!errors.author && /[\u0000-\u001f\u007f-\u009f]/.test(v.author)) errors.author = "Name must not contain control characters such as tabs or line breaks.";
      if (!errors.email && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v.email.trim())) errors.email = "Please enter a valid email address, like name@example.org.";
      var url = v.url.trim();
      if (url && !errors.url && (/[\s"'<>`{}|\\^]/.test(url) || !/^(https?:\/\/)?[^\s\/?#:.][^\s\/?#]*/i.test(url) ||
          (/^[a-z][a-z0-9+.-]*:(?!\d*(\/|$))/i.test(url) && !/^https?:\/\//i.test(url)))) {
        errors.url = "Website must be a web address such as https://example.org.";
      }
      return errors;
    }

    function showErrors(errors) {
      var first = null;
      Object.keys(fields).forEach(function (name) {
        var f = fields[name], message = errors[name];
        f.error.textContent = message || "";
        f.error.hidden = !message;
        f.control.setAttribute("aria-invalid", message ? "true" : "false");
        f.control.setAttribute("aria-describedby", [f.note, message ? f.error.id : null].filter(Boolean).join(" "));
        if (message && !first) first = f.control;
      });
      if (first) first.focus();
      return !!first;
    }

    function serverErrors(fieldsIn) {
      var errors = {}, other = [];
      Object.keys(fieldsIn || {}).forEach(function (key) {
        var name = FIELD_OF[key], problem = fieldsIn[key];
        if (key === "parent_id") {
          other.push("The comment you replied to is no longer available; send again to post yours on its own.");
          cancelReply(false);
          fields.comment.control.focus();
        } else if (!name) other.push(key + " " + problem + ".");
        else errors[name] = problem === "is required" ? REQUIRED[name] : (LABEL[name] + " " + problem).replace(/\.?$/, ".");
      });
      say(other.join(" "));
      showErrors(errors);
    }

    function say(message) { alert.textContent = message; }

    function payload(v, token) {
      return {
        body: v.comment, name: v.author, email: v.email, website: v.url, parent_id: parent,
        article_title: articleTitle(), article_url: articleUrl(), hp: hp.value,
        form_token: token || undefined,
        notify_replies: notices.hidden ? undefined : notifyReplies.checked,
        notify_approval: notices.hidden ? undefined : notifyApproval.checked,
        commenter_key: commenterKey || undefined  // proves a returning author (see the README)
      };
    }

    // A one-use token for this showing of the form on this article: fetched when it is shown (a
    // restored draft with it) and after each accepted comment. Without one a comment is only held.
    var formToken;
    function freshFormToken() {
      formToken = api("/form-token?article=" + encodeURIComponent(ARTICLE)).then(function (r) {
        if (r.status === 200 && r.body.notices) notices.hidden = false;
        return r.status === 200 ? r.body.form_token : null;
      }, function () { return null; });
    }

    function remember(v, key) {
      if (key) commenterKey = key;
      save(local, SAVED, consent.checked ? { author: v.author, email: v.email, url: v.url, key: commenterKey } : null);
    }
    consent.addEventListener("change", function () { if (!consent.checked) save(local, SAVED, null); });

    function saveDraft() {
      var text = fields.comment.control.value;
      save(session, draftKey, text || parent ? { text: text, parent: parent } : null);
    }
    fields.comment.control.addEventListener("input", saveDraft);

    function accepted(r, v) {
      remember(v, r.body.commenter_key);
      freshFormToken();
      var node;
      if (r.status === 201) {
        node = add(r.body.comment, false);
        setTotal(total + 1);
        notice = status.textContent = "Your comment has been published.";
      } else {
        var mine = { id: r.body.id, parent_id: parent, author: { name: v.author.trim(), website: v.url.trim() },
                     body: v.comment.trim(), created_at: new Date().toISOString().replace(/\.\d+Z$/, "Z") };
        save(session, pendingKey, pendingList().concat([mine]));
        node = add(mine, true);
        notice = status.textContent = "Thank you. Your comment is awaiting moderation.";
      }
      if (!notices.hidden && (notifyApproval.checked || notifyReplies.checked)) {
        notice = status.textContent = notice + " New address? Confirm it from the email we send.";
      }
      notifyApproval.checked = notifyReplies.checked = false;  // each comment asks anew
      fields.comment.control.value = "";
      cancelReply(false);
      saveDraft();
      if (node) node.li.firstChild.focus();
    }

    function refused(r) {
      if (r.status === 422 && r.body.fields) return serverErrors(r.body.fields);
      if (r.status === 429) {
        var wait = parseInt(r.headers.get("Retry-After"), 10);
        return say("You are commenting too quickly. Please wait " + (wait > 0 ? wait + " seconds" : "a minute") + ", then send it again." + KEPT);
      }
      if (r.status === 409) return say("You have already posted this comment here." + KEPT);
      if (r.status === 403) return say((r.body.message || "Comments are closed on this article.") + KEPT);
      say((r.body.message || "Something went wrong on our side.") + " Please try again in a moment." + KEPT);
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (busy) return;
      var v = values();
      say("");
      if (showErrors(validate(v))) return;
      busy = true;
      submit.setAttribute("aria-disabled", "true");
      formToken.then(function (token) {  // posting a restored draft at once waits for its token
        return api("/articles/" + encodeURIComponent(ARTICLE) + "/comments", {
          method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(payload(v, token))
        });
      }).then(function (r) {
        if (r.status === 201 || r.status === 202) accepted(r, v);
        else refused(r);
      }, function () {
        say("The comment service could not be reached. Check your connection and try again." + KEPT);
      }).then(function () {
        busy = false;
        submit.removeAttribute("aria-disabled");
      });
    });

    var saved = load(local, SAVED), commenterKey = saved && saved.key || null;
    if (saved) {
      ["author", "email", "url"].forEach(function (name) { fields[name].control.value = saved[name] || ""; });
      consent.checked = true;
    }
    var draft = load(session, draftKey);
    if (draft) fields.comment.control.value = draft.text || "";
    freshFormToken();  // shown now, with any draft
    status.textContent = notice || "Loading comments…";
    loadPage().then(function () {
      var was = draft && draft.parent && nodes[draft.parent];
      if (was && was.reply && !was.pending) was.reply();
      scrollToHash();
    });

    function scrollToHash() {  // the page's own fragment navigation cannot see into the shadow root
      var target = null;
      try { target = location.hash.length > 1 && root.getElementById(decodeURIComponent(location.hash.slice(1))); } catch (e) { /* bad % escape */ }
      if (target) target.scrollIntoView();
    }
    window.addEventListener("hashchange", scrollToHash);
  }

  var target = document.getElementById(script.getAttribute("data-target") || "comments");
  if (ARTICLE && target && !target.shadowRoot) mount(target);
  if (document.querySelector("[data-comments-count]")) fillCounts();
})();
