"""The comment moderation service: `create_app` wires settings, shared objects, views and CLI."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Flask

if TYPE_CHECKING:
    from moderation.shared import Shared


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the application; test_config wins over the MODERATION_* environment."""
    from flask_wtf.csrf import CSRFProtect
    from werkzeug.middleware.proxy_fix import ProxyFix

    from moderation import cli, i18n, settings
    from moderation.shared import KEY
    from moderation.store import database
    from moderation.web import (
        api, compression, cors, embed_assets, fastpath, feeds, fragment, moderate, pages, readers, reports, responses,
    )

    app = Flask(__name__, instance_relative_config=True)
    settings.load_settings(app, test_config)
    i18n.init_app(app)  # readers' languages: the catalogues checked, the page's language chosen
    app.extensions[KEY] = _shared_objects(app)

    # Requests: sessions and errors first, then the API, the public pages, the moderators' pages.
    database.init_app(app)
    responses.init_app(app)
    api.init_app(app)
    cors.init_app(app)
    app.register_blueprint(pages.bp)
    app.register_blueprint(readers.bp)
    app.register_blueprint(feeds.bp)  # after api.init_app: its article id converter
    app.register_blueprint(embed_assets.bp)  # what embed.js fetches after it runs
    app.register_blueprint(fragment.bp)  # so too
    app.register_blueprint(reports.bp)
    # Every POST needs its token but the token API's and readers' reports (no cookies), the public form's,
    # and the readers' links' (the signed link is the credential; a one-click unsubscribe has no cookie).
    csrf = CSRFProtect(app)
    csrf.exempt(api.bp)
    csrf.exempt(reports.bp)
    csrf.exempt(pages.bp)
    csrf.exempt(readers.bp)
    moderate.init_app(app)
    compression.init_app(app)  # text answers in brotli or gzip, for clients that take them
    app.before_request(app.extensions[KEY].housekeeper.start)  # the retention purge, on its own

    cli.init_app(app)

    # WSGI middleware, innermost first: the proxy's client address, then the first-page shortcut.
    # Wrapping app.wsgi_app is Flask's documented way, but Flask types it as a method: hence the ignores.
    if app.config["TRUSTED_PROXIES"]:
        # The nearest proxy also says whether the client used https (for Secure cookies).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["TRUSTED_PROXIES"], x_proto=1)  # type: ignore[method-assign]
    app.wsgi_app = fastpath.Revalidation(app, app.wsgi_app)  # type: ignore[method-assign]
    return app


def _shared_objects(app: Flask) -> Shared:
    """What every request and command of one app shares, built once, each from what it needs."""
    from moderation.core.privacy import EmailVault
    from moderation.housekeeping import Housekeeper
    from moderation.shared import Shared
    from moderation.store import counters, database, rules, versions
    from moderation.web.moderate.throttle import LoginThrottle, throttle_secret
    from moderation.web.pagecache import PageCache

    config = app.config
    engine = database.make_engine(config["DATABASE_URL"], config["DATABASE_POOL_SIZE"])
    limit_counters = counters.open_counters(config["RATELIMIT_STORAGE"], engine)
    return Shared(
        engine=engine,
        sessions=database.session_factory(engine),
        vault=EmailVault(config["SECRET_KEY"], config["OLD_SECRET_KEYS"]),
        versions=versions.PublicVersions(engine, config["SECRET_KEY"], config["CLOSE_AFTER_DAYS"]),
        rules=rules.RulesCache(),
        counters=limit_counters,
        login_throttle=LoginThrottle(limit_counters, throttle_secret(config["SECRET_KEY"])),
        pages=PageCache(config["PAGE_CACHE_BYTES"]),
        housekeeper=Housekeeper(app),
    )
