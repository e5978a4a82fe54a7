"""The web-page writer: the body as HTML inside a municipal site's page, with its menus, cookie banner and scripts."""

from __future__ import annotations

import html

from corpus_build.sources import NOTE_PREFIX, Blk, Source, plain_blocks


def inline_html(text: str) -> str:
    return html.escape(text, quote=False)


def blocks_html(blocks: list[Blk]) -> str:
    out: list[str] = []
    for b in plain_blocks(blocks):
        if b.kind == "title":
            out.append(f"<h1>{inline_html(b.text)}</h1>")
        elif b.kind == "h2":
            out.append(f"<h2>{inline_html(b.text)}</h2>")
        elif b.kind == "h3":
            out.append(f"<h3>{inline_html(b.text)}</h3>")
        elif b.kind == "p":
            cls = ' class="demo-note"' if b.text.startswith(NOTE_PREFIX) else ""
            out.append(f"<p{cls}>{inline_html(b.text)}</p>")
        elif b.kind == "ul":
            items = "\n".join(f"  <li>{inline_html(i)}</li>" for i in b.items)
            out.append(f"<ul>\n{items}\n</ul>")
        elif b.kind == "table":
            head = "".join(f"<th>{inline_html(c)}</th>" for c in b.rows[0])
            body = "\n".join(
                "  <tr>" + "".join(f"<td>{inline_html(c)}</td>" for c in r) + "</tr>" for r in b.rows[1:]
            )
            out.append(
                f'<table class="table">\n  <thead><tr>{head}</tr></thead>\n  <tbody>\n{body}\n  </tbody>\n</table>'
            )
    return "\n".join(out)


HTML_TEMPLATE = """<!DOCTYPE html>
<html lang="da">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} | {kommune} Kommune</title>
<meta name="description" content="{description}">
<meta name="author" content="{author}">
<meta name="dcterms.modified" content="{date}">
<link rel="stylesheet" href="/static/css/site.min.css?v=4.12.0">
<style>
  .cookie-banner {{ position: fixed; bottom: 0; left: 0; right: 0; background: #1d2b36; color: #fff; }}
  .demo-note {{ font-size: .85rem; color: #555; font-style: italic; }}
  table.table td, table.table th {{ border: 1px solid #ccc; padding: 4px 8px; }}
</style>
<script>
  window.dataLayer = window.dataLayer || [];
  function gtag(){{dataLayer.push(arguments);}}
  gtag('consent', 'default', {{'analytics_storage': 'denied'}});
  var siteSearch = {{ endpoint: '/api/sog', placeholder: 'Hvad søger du?' }};
</script>
</head>
<body class="page-article">
<div id="cookie-banner" class="cookie-banner" role="dialog" aria-label="Cookies">
  <p>Vi bruger cookies til at forbedre din oplevelse af {kommune_lower}.dk og til anonym statistik.
  Du kan til enhver tid trække dit samtykke tilbage.</p>
  <button id="cookie-accept">Accepter alle</button> <button id="cookie-necessary">Kun nødvendige</button>
  <a href="/cookiepolitik">Læs mere om cookies</a>
</div>
<a class="skip-link" href="#indhold">Gå til indhold</a>
<header class="site-header">
  <a class="logo" href="/"><img src="/static/img/logo.svg" alt="{kommune} Kommune"></a>
  <nav class="main-nav" aria-label="Hovedmenu">
    <ul>
      <li><a href="/borger">Borger</a></li>
      <li><a href="/erhverv">Erhverv</a></li>
      <li><a href="/politik">Politik og demokrati</a></li>
      <li><a href="/job">Job i kommunen</a></li>
      <li><a href="/om-kommunen">Om kommunen</a></li>
      <li><a href="/selvbetjening">Selvbetjening</a></li>
    </ul>
  </nav>
  <form class="search" action="/sog"><input type="search" name="q" placeholder="Søg på siden"></form>
</header>
<nav class="breadcrumb" aria-label="Brødkrumme">
  <a href="/">Forside</a> › {breadcrumb}
</nav>
<main id="indhold">
<article>
{content}
<p class="updated">Senest opdateret: {updated}</p>
</article>
<aside class="related">
  <h2>Se også</h2>
  <ul>
    <li><a href="/borger/familie-og-boern">Familie og børn</a></li>
    <li><a href="/borger/familie-og-boern/bekymring-for-et-barn">Er du bekymret for et barn?</a></li>
    <li><a href="/selvbetjening/kontakt">Kontakt os</a></li>
  </ul>
  <div class="feedback">Var siden nyttig? <button>Ja</button> <button>Nej</button></div>
</aside>
</main>
<footer class="site-footer">
  <div>{kommune} Kommune · Rådhuset · Telefon og åbningstider: se kontaktsiden</div>
  <ul>
    <li><a href="/tilgaengelighed">Tilgængelighedserklæring</a></li>
    <li><a href="/privatlivspolitik">Privatlivspolitik</a></li>
    <li><a href="/cookiepolitik">Cookiepolitik</a></li>
    <li><a href="/presse">Presse</a></li>
  </ul>
  <p>Følg os på Facebook, LinkedIn og Instagram</p>
</footer>
<script src="/static/js/site.bundle.js?v=4.12.0" defer></script>
<script>
  document.getElementById('cookie-accept').addEventListener('click', function () {{
    document.cookie = 'consent=all; path=/; max-age=31536000';
    document.getElementById('cookie-banner').remove();
  }});
</script>
</body>
</html>
"""


def build_html(src: Source) -> bytes:
    meta = src.meta
    kommune = meta["municipality"]
    crumbs = [c.strip() for c in meta.get("breadcrumb", "Borger › Familie og børn").split("›")]
    crumb_html = " › ".join(f'<a href="#">{inline_html(c)}</a>' for c in crumbs[:-1])
    crumb_html = (crumb_html + " › " if crumb_html else "") + f"<span>{inline_html(crumbs[-1])}</span>"
    page = HTML_TEMPLATE.format(
        title=html.escape(meta["title"]),
        kommune=kommune,
        kommune_lower=kommune.lower().replace("ø", "oe").replace("æ", "ae").replace("å", "aa"),
        description=html.escape(meta.get("subject", meta["title"])),
        author=html.escape(meta["author"]),
        date=meta["date"],
        breadcrumb=crumb_html,
        content=blocks_html(src.blocks),
        updated=html.escape(meta.get("updated", meta["date"])),
    )
    return page.encode("utf-8")


# --------------------------------------------------------------------------------------------------
# Text and Markdown
