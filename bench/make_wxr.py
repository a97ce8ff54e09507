"""Writes WordPress eXtended RSS (WXR 1.2) the way WordPress 6.x's Tools → Export writes it, streaming.

Run from the project root:  .venv/bin/python bench/make_wxr.py 100000 bench/results/tmp/wxr-100k.xml
(N comments on posts of 50 each: mostly approved, some pending, spam and trash, a third of them
replies, a pingback now and then). The import benchmark reads such a file.

`WxrWriter` copies wp-admin/includes/export.php (WordPress 6.x): the same comments at the top, the
same namespaces and element order, the same fields in CDATA (wxr_cdata(), which splits a "]]>"
across two sections) and the same ones bare (ids, and comment_author_url: WordPress writes
sanitize_url()'s output unescaped, so a URL with "&" makes its export ill-formed XML; callers
here pass none). tests/data/make_import_samples.py writes the import tests' WXR with this writer
too, so the file the benchmark imports has the shape those tests check. Nothing here imports
the application: the writer stands alone.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO
from xml.sax.saxutils import escape

WXR_VERSION = "1.2"
WORDPRESS_VERSION = "6.7.1"
ZERO_DATE = "0000-00-00 00:00:00"  # what MySQL holds for a date never set


def wxr_cdata(text: str) -> str:
    """WordPress's wxr_cdata(): the text in CDATA, each "]]>" split as "]]]]><![CDATA[>"."""
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def mysql_date(moment: datetime | None) -> str:
    """A date as WordPress stores it ("2026-11-02 10:15:00"); None is MySQL's zero date."""
    return ZERO_DATE if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S")


def rss_date(moment: datetime) -> str:
    """A date as RSS writes it ("Mon, 02 Nov 2026 10:15:00 +0000")."""
    return moment.astimezone(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")


@dataclass(frozen=True)
class Site:
    """The blog: its name, address, time zone (WordPress's gmt_offset, in hours) and one author."""

    title: str = "Harbour Town News"
    url: str = "https://news.example.org"
    description: str = "News from the harbour"
    language: str = "en-GB"
    gmt_offset: int = 1
    author_login: str = "editor"
    author_email: str = "editor@news.example.org"
    author_name: str = "Eda Editor"


@dataclass(frozen=True)
class Comment:
    """One wp_comments row, with its wp_commentmeta rows."""

    id: int
    author: str
    email: str
    url: str
    ip: str
    date_gmt: datetime | None  # None: a row whose comment_date_gmt is 0000-00-00 00:00:00
    content: str
    approved: str = "1"  # "1", "0", "spam" or "trash"
    type: str = "comment"  # "comment" ("" before WordPress 5.5), "pingback" or "trackback"
    parent: int = 0
    user_id: int = 0
    meta: tuple[tuple[str, str], ...] = ()
    date: datetime | None = None  # the site's local time; from date_gmt and the offset when None


@dataclass(frozen=True)
class Post:
    """One wp_posts row (a post or a page) and the categories it is in."""

    id: int
    title: str
    slug: str
    date_gmt: datetime
    content: str = ""
    type: str = "post"
    status: str = "publish"
    categories: tuple[tuple[str, str], ...] = ()  # (nicename, name)
    link: str = ""  # its permalink; /YYYY/MM/slug/ for posts, /slug/ for pages when empty


@dataclass
class WxrWriter:
    """Writes one WXR document to `out`: start(), item() per post, end()."""

    out: TextIO
    site: Site = field(default_factory=Site)
    created: datetime = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)

    def local(self, moment: datetime) -> datetime:
        """A UTC moment in the site's time zone, as WordPress keeps comment_date and post_date."""
        return moment.astimezone(UTC).replace(tzinfo=None) + timedelta(hours=self.site.gmt_offset)

    def link(self, post: Post) -> str:
        """The post's permalink."""
        if post.link:
            return post.link
        if post.type == "page":
            return f"{self.site.url}/{post.slug}/"
        return f"{self.site.url}/{post.date_gmt:%Y/%m}/{post.slug}/"

    def start(self, categories: Iterable[tuple[int, str, str]] = ()) -> None:
        """The prologue, the channel's head and its authors and categories: (term_id, nicename, name)."""
        site, write = self.site, self.out.write
        write('<?xml version="1.0" encoding="UTF-8" ?>\n')
        write(PROLOGUE)
        write(f'\t<!-- generator="WordPress/{WORDPRESS_VERSION}" created="{self.created:%Y-%m-%d %H:%M}" -->\n')
        write(RSS_OPEN)
        write("<channel>\n")
        write(f"\t<title>{escape(site.title)}</title>\n\t<link>{escape(site.url)}</link>\n")
        write(f"\t<description>{escape(site.description)}</description>\n")
        write(f"\t<pubDate>{rss_date(self.created)}</pubDate>\n\t<language>{site.language}</language>\n")
        write(f"\t<wp:wxr_version>{WXR_VERSION}</wp:wxr_version>\n")
        write(f"\t<wp:base_site_url>{escape(site.url)}</wp:base_site_url>\n")
        write(f"\t<wp:base_blog_url>{escape(site.url)}</wp:base_blog_url>\n\n")
        first, _, last = site.author_name.partition(" ")
        write(f"\t\t<wp:author><wp:author_id>1</wp:author_id><wp:author_login>{wxr_cdata(site.author_login)}"
              f"</wp:author_login><wp:author_email>{wxr_cdata(site.author_email)}</wp:author_email>"
              f"<wp:author_display_name>{wxr_cdata(site.author_name)}</wp:author_display_name>"
              f"<wp:author_first_name>{wxr_cdata(first)}</wp:author_first_name>"
              f"<wp:author_last_name>{wxr_cdata(last)}</wp:author_last_name></wp:author>\n\n")
        for term_id, nicename, name in categories:
            write(f"\t<wp:category>\n\t\t<wp:term_id>{term_id}</wp:term_id>\n"
                  f"\t\t<wp:category_nicename>{wxr_cdata(nicename)}</wp:category_nicename>\n"
                  f"\t\t<wp:category_parent>{wxr_cdata('')}</wp:category_parent>\n"
                  f"\t\t<wp:cat_name>{wxr_cdata(name)}</wp:cat_name>\n\t</wp:category>\n")
        write(f"\t\n\t<generator>https://wordpress.org/?v={WORDPRESS_VERSION}</generator>\n\n")

    def item(self, post: Post, comments: Iterable[Comment] = ()) -> None:
        """One <item>: the post's fields, its categories and meta, then each of its comments."""
        write, local = self.out.write, self.local(post.date_gmt)
        write(f"\t<item>\n\t\t<title>{wxr_cdata(post.title)}</title>\n")
        write(f"\t\t<link>{escape(self.link(post))}</link>\n\t\t<pubDate>{rss_date(post.date_gmt)}</pubDate>\n")
        write(f"\t\t<dc:creator>{wxr_cdata(self.site.author_login)}</dc:creator>\n")
        write(f'\t\t<guid isPermaLink="false">{escape(self.site.url)}/?p={post.id}</guid>\n')
        write("\t\t<description></description>\n")
        write(f"\t\t<content:encoded>{wxr_cdata(post.content)}</content:encoded>\n")
        write(f"\t\t<excerpt:encoded>{wxr_cdata('')}</excerpt:encoded>\n")
        write(f"\t\t<wp:post_id>{post.id}</wp:post_id>\n")
        for name, value in (("post_date", mysql_date(local)), ("post_date_gmt", mysql_date(post.date_gmt)),
                            ("post_modified", mysql_date(local)), ("post_modified_gmt", mysql_date(post.date_gmt)),
                            ("comment_status", "open"), ("ping_status", "open"), ("post_name", post.slug),
                            ("status", post.status)):
            write(f"\t\t<wp:{name}>{wxr_cdata(value)}</wp:{name}>\n")
        write("\t\t<wp:post_parent>0</wp:post_parent>\n\t\t<wp:menu_order>0</wp:menu_order>\n")
        write(f"\t\t<wp:post_type>{wxr_cdata(post.type)}</wp:post_type>\n")
        write(f"\t\t<wp:post_password>{wxr_cdata('')}</wp:post_password>\n\t\t<wp:is_sticky>0</wp:is_sticky>\n")
        for nicename, name in post.categories:
            write(f'\t\t<category domain="category" nicename="{nicename}">{wxr_cdata(name)}</category>\n')
        write(f"\t\t<wp:postmeta>\n\t\t<wp:meta_key>{wxr_cdata('_edit_last')}</wp:meta_key>\n"
              f"\t\t<wp:meta_value>{wxr_cdata('1')}</wp:meta_value>\n\t\t</wp:postmeta>\n")
        for comment in comments:
            self.comment(comment)
        write("\t\t</item>\n")

    def comment(self, comment: Comment) -> None:
        """One <wp:comment>, field for field as export.php writes it, and its <wp:commentmeta>."""
        write = self.out.write
        date = comment.date or (self.local(comment.date_gmt) if comment.date_gmt else None)
        write(f"\t\t<wp:comment>\n\t\t\t<wp:comment_id>{comment.id}</wp:comment_id>\n")
        write(f"\t\t\t<wp:comment_author>{wxr_cdata(comment.author)}</wp:comment_author>\n")
        write(f"\t\t\t<wp:comment_author_email>{wxr_cdata(comment.email)}</wp:comment_author_email>\n")
        write(f"\t\t\t<wp:comment_author_url>{comment.url}</wp:comment_author_url>\n")  # bare, as WordPress does
        write(f"\t\t\t<wp:comment_author_IP>{wxr_cdata(comment.ip)}</wp:comment_author_IP>\n")
        write(f"\t\t\t<wp:comment_date>{wxr_cdata(mysql_date(date))}</wp:comment_date>\n")
        write(f"\t\t\t<wp:comment_date_gmt>{wxr_cdata(mysql_date(comment.date_gmt))}</wp:comment_date_gmt>\n")
        write(f"\t\t\t<wp:comment_content>{wxr_cdata(comment.content)}</wp:comment_content>\n")
        write(f"\t\t\t<wp:comment_approved>{wxr_cdata(comment.approved)}</wp:comment_approved>\n")
        write(f"\t\t\t<wp:comment_type>{wxr_cdata(comment.type)}</wp:comment_type>\n")
        write(f"\t\t\t<wp:comment_parent>{comment.parent}</wp:comment_parent>\n")
        write(f"\t\t\t<wp:comment_user_id>{comment.user_id}</wp:comment_user_id>\n")
        for key, value in comment.meta:
            write(f"\t<wp:commentmeta>\n\t<wp:meta_key>{wxr_cdata(key)}</wp:meta_key>\n"
                  f"\t\t\t<wp:meta_value>{wxr_cdata(value)}</wp:meta_value>\n\t\t\t</wp:commentmeta>\n")
        write("\t\t</wp:comment>\n")

    def end(self) -> None:
        """Close the channel and the document."""
        self.out.write("</channel>\n</rss>\n\t")


PROLOGUE = """<!-- This is a WordPress eXtended RSS file generated by WordPress as an export of your site. -->
<!-- It contains information about your site's posts, pages, comments, categories, and other content. -->
<!-- You may use this file to transfer that content from one site to another. -->
<!-- This file is not intended to serve as a complete backup of your site. -->

<!-- To import this information into a WordPress site follow these steps: -->
<!-- 1. Log in to that site as an administrator. -->
<!-- 2. Go to Tools: Import in the WordPress admin panel. -->
<!-- 3. Install the "WordPress" importer from the list. -->
<!-- 4. Activate & Run Importer. -->
<!-- 5. Upload this file using the form provided on that page. -->
<!-- 6. You will first be asked to map the authors in this export file to users -->
<!--    on the site. For each author, you may choose to map to an -->
<!--    existing user on the site or to create a new user. -->
<!-- 7. WordPress will then import each of the posts, pages, comments, categories, etc. -->
<!--    contained in this file into your site. -->

"""

RSS_OPEN = f"""<rss version="2.0"
\txmlns:excerpt="http://wordpress.org/export/{WXR_VERSION}/excerpt/"
\txmlns:content="http://purl.org/rss/1.0/modules/content/"
\txmlns:wfw="http://wellformedweb.org/CommentAPI/"
\txmlns:dc="http://purl.org/dc/elements/1.1/"
\txmlns:wp="http://wordpress.org/export/{WXR_VERSION}/"
>

"""

# --- A large export for the benchmark -------------------------------------------------------------

NAMES = ("Ana", "Bo", "Chloé", "Dmitri", "Eun-ji", "Farah", "Gustavo", "Hana", "Ivo", "Jürgen", "Kwame", "Lea")
WORDS = ("harbour", "ferry", "tide", "council", "market", "storm", "bridge", "café", "festival", "boats")


def large_comments(rng: random.Random, first_id: int, count: int, start: datetime) -> Iterator[Comment]:
    """`count` comments of one post: 85% approved, 9% pending, 3% spam, 2% trash, 1% pingbacks; a third replies."""
    for offset in range(count):
        number = first_id + offset
        roll = rng.random()
        approved = "1" if roll < 0.85 else "0" if roll < 0.94 else "spam" if roll < 0.97 else "trash"
        ping = approved == "1" and rng.random() < 0.012
        name = rng.choice(NAMES)
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 60)))
        yield Comment(
            id=number, author=f"{name} {number % 997}", email=f"{name.lower()}.{number % 997}@example.org",
            url="" if ping or rng.random() < 0.6 else f"https://{name.lower()}.example.net/",
            ip=f"198.51.100.{number % 250 + 1}", date_gmt=start + timedelta(minutes=7 * offset),
            content=f"<p>{words.capitalize()}.</p>\n<p>Thanks, <em>{name}</em> &amp; co.</p>",
            approved=approved, type="pingback" if ping else "comment",
            parent=number - rng.randint(1, offset) if offset and not ping and rng.random() < 0.33 else 0,
            meta=(("akismet_result", "true" if approved == "spam" else "false"),))


def write_large_wxr(path: Path, comments: int, per_post: int = 50, seed: int = 12) -> None:
    """A WXR of `comments` comments on posts of `per_post` each, written as it is generated."""
    rng = random.Random(seed)
    start = datetime(2020, 1, 6, 8, 0, tzinfo=UTC)
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        writer = WxrWriter(out)
        writer.start([(2, "news", "News")])
        for index, first in enumerate(range(1, comments + 1, per_post)):
            count = min(per_post, comments - first + 1)
            when = start + timedelta(days=index)
            post = Post(id=100_000 + index, title=f"Story {index}: the {rng.choice(WORDS)}", slug=f"story-{index}",
                        date_gmt=when, content=f"<p>Story {index}.</p>", categories=(("news", "News"),))
            writer.item(post, large_comments(rng, first, count, when + timedelta(hours=1)))
        writer.end()


def main(argv: list[str]) -> None:
    """Write the benchmark's WXR: make_wxr.py N FILE."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("comments", type=int)
    parser.add_argument("file", type=Path)
    parser.add_argument("--per-post", type=int, default=50)
    args = parser.parse_args(argv)
    args.file.parent.mkdir(parents=True, exist_ok=True)
    write_large_wxr(args.file, args.comments, args.per_post)
    print(f"{args.file}: {args.comments:,} comments, {args.file.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main(sys.argv[1:])
