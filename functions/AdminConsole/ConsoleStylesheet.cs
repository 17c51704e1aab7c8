namespace Points.Functions.AdminConsole;

/// <summary>The console's one style sheet, served from the app (no CDN, no build step); colours keep a 4.5:1 contrast.</summary>
public static class ConsoleStylesheet
{
    public const string Css = """
        :root { --ink: #1b1f24; --muted: #4a5360; --line: #d0d5dc; --bg: #f6f7f9; --accent: #0b5cad; --bad: #a4161a; --good: #1d6b35; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 15px/1.5 "Hiragino Sans", "Noto Sans JP", "Yu Gothic", "IPAPGothic", system-ui, sans-serif; color: var(--ink); background: var(--bg); }
        a { color: var(--accent); }
        header.top { display: flex; align-items: center; gap: 1rem; padding: .5rem 1rem; background: #14263d; color: #fff; }
        header.top a, header.top button { color: #fff; }
        header.top .brand { font-weight: 700; text-decoration: none; font-size: 1.1rem; }
        header.top .spacer { flex: 1; }
        header.top form { margin: 0; }
        header.top button { background: none; border: 1px solid #fff; border-radius: 4px; padding: .2rem .6rem; cursor: pointer; font: inherit; }
        .shell { display: flex; min-height: calc(100vh - 48px); }
        nav.side { width: 200px; background: #fff; border-right: 1px solid var(--line); padding: 1rem 0; }
        nav.side a { display: block; padding: .4rem 1rem; text-decoration: none; color: var(--ink); }
        nav.side a[aria-current="page"] { background: #e3edf8; border-left: 4px solid var(--accent); padding-left: calc(1rem - 4px); font-weight: 600; }
        main { flex: 1; padding: 1.25rem 1.5rem; max-width: 1100px; }
        h1 { font-size: 1.4rem; margin: 0 0 1rem; }
        h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
        h3 { font-size: 1rem; margin: 1rem 0 .5rem; }
        .panel > h2, form.panel > h3 { margin-top: 0; }
        .cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(180px, 1fr)); gap: .75rem; }
        .card { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: .75rem 1rem; }
        .card .label { color: var(--muted); font-size: .85rem; }
        .card .value { font-size: 1.35rem; font-weight: 700; }
        table { border-collapse: collapse; width: 100%; background: #fff; }
        th, td { border: 1px solid var(--line); padding: .35rem .5rem; text-align: left; vertical-align: top; }
        th { background: #eef1f5; font-weight: 600; }
        td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
        form.panel, section.panel { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 1rem; margin: 0 0 1rem; }
        .field { margin: 0 0 .75rem; }
        .field label.check { display: inline; font-weight: 400; margin-left: .3rem; }
        .field label { display: block; font-weight: 600; margin-bottom: .2rem; }
        input, select, textarea { font: inherit; padding: .3rem .45rem; border: 1px solid #8a94a3; border-radius: 4px; }
        input[aria-invalid="true"] { border-color: var(--bad); }
        .error { color: var(--bad); font-size: .9rem; margin: .2rem 0 0; }
        .hint { color: var(--muted); font-size: .85rem; margin: .2rem 0 0; }
        button.primary, button.secondary { font: inherit; padding: .35rem .9rem; border-radius: 4px; cursor: pointer; }
        button.primary { background: var(--accent); color: #fff; border: 1px solid var(--accent); }
        button.secondary { background: #fff; color: var(--accent); border: 1px solid var(--accent); }
        .notice { padding: .6rem .9rem; border-radius: 4px; margin: 0 0 1rem; border: 1px solid; }
        .notice.ok { background: #e8f4ec; border-color: var(--good); color: var(--good); }
        .notice.bad { background: #fbeaea; border-color: var(--bad); color: var(--bad); }
        .inline { display: flex; gap: .75rem; align-items: flex-end; flex-wrap: wrap; }
        .inline .field { margin: 0; }
        .muted { color: var(--muted); }
        svg.chart text { font-size: 11px; fill: var(--muted); }
        .signin { max-width: 420px; margin: 4rem auto; }
        .skip { position: absolute; left: -999px; }
        .skip:focus { left: 1rem; top: .5rem; background: #fff; color: var(--accent); padding: .25rem .5rem; }
        """;
}
