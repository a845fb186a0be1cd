// madoguchi 進行管理 (yearly review) page. Plain JavaScript, no build step and no chart library:
// the charts are SVG elements this script creates. Every value that comes from the API is put on
// the page as text or as an attribute value, never parsed as HTML, and the page's
// Content-Security-Policy allows no inline script or style.
"use strict";

(() => {
  const KEY_STORAGE = "madoguchi.progressKey";
  const SVG_NS = "http://www.w3.org/2000/svg";
  const FIRST_FISCAL_YEAR = 2013;
  const OUTCOMES = ["sent", "accepted", "declined", "completed"];
  const NUMBER = new Intl.NumberFormat("ja-JP", { maximumFractionDigits: 2 });
  const PERCENT = new Intl.NumberFormat("ja-JP", { style: "percent", maximumFractionDigits: 1 });
  const NONE = "—";

  const state = {
    pillars: [],
    actions: [],
    kpis: [],
    progress: null, // the last GET /v1/progress answer
  };

  const $ = (id) => document.getElementById(id);

  // --- small DOM helpers (text only) ---------------------------------------------------------

  const { el, ApiFailure } = window.madoguchi;

  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, String(value));
    for (const child of children) {
      if (child !== null && child !== undefined) node.append(child);
    }
    return node;
  }

  function svgText(x, y, text, className, anchor) {
    const node = svg("text", { x, y, class: className, "text-anchor": anchor || "start" });
    node.textContent = String(text);
    return node;
  }

  function tooltip(text) {
    const title = svg("title");
    title.textContent = text;
    return title;
  }

  function showMessage(kind, text) {
    const box = $("message");
    box.className = "message " + kind;
    box.textContent = text;
    box.hidden = false;
    box.setAttribute("role", kind === "error" ? "alert" : "status");
  }

  // --- the API ---------------------------------------------------------------------------------

  function request(path, apiKey) {
    return window.madoguchi.request("GET", path, { apiKey, accept: "application/json, text/csv" });
  }

  async function api(path, apiKey) {
    return (await request(path, apiKey)).json();
  }

  function failureText(error) {
    return window.madoguchi.failureText(error, "admin または analyst の API キーが必要です");
  }

  // --- key and fiscal year ---------------------------------------------------------------------

  function currentKey() {
    return window.madoguchi.storedKey($("api-key"), KEY_STORAGE);
  }

  function updateKeyState() {
    $("key-state").textContent = sessionStorage.getItem(KEY_STORAGE)
      ? "キーを保存しました（このタブの sessionStorage のみ。タブを閉じると消えます）。"
      : "キーはこのタブ（sessionStorage）にだけ保存され、タブを閉じると消えます。数値目標の進み具合はキーなしでも表示されます。";
  }

  // The fiscal year of today in Japan: April to March.
  function currentFiscalYear() {
    const parts = new Intl.DateTimeFormat("en-US", {
      timeZone: "Asia/Tokyo",
      year: "numeric",
      month: "numeric",
    }).formatToParts(new Date());
    const year = Number(parts.find((p) => p.type === "year").value);
    const month = Number(parts.find((p) => p.type === "month").value);
    return month >= 4 ? year : year - 1;
  }

  function fillYears() {
    const select = $("fiscal-year");
    const current = currentFiscalYear();
    for (let year = current; year >= FIRST_FISCAL_YEAR; year--) {
      select.append(el("option", { text: year + "年度", attrs: { value: year } }));
    }
    select.value = String(current);
  }

  // --- numbers ---------------------------------------------------------------------------------

  function valueText(value, unit) {
    return value === null || value === undefined ? NONE : NUMBER.format(value) + (unit || "");
  }

  function unitOf(kpi) {
    return kpi.target.unit || (kpi.baseline && kpi.baseline.unit) || "";
  }

  function startText(kpi) {
    if (kpi.accumulation === "period_total") return "0（期間の累計）";
    return kpi.baseline ? kpi.baseline.text || valueText(kpi.baseline.value, kpi.baseline.unit) : "0";
  }

  // The plan's own 現状値 (the table shows it as written; the bar starts where the rate does).
  function baselineText(kpi) {
    return kpi.baseline ? kpi.baseline.text || valueText(kpi.baseline.value, kpi.baseline.unit) : "―";
  }

  function actualText(kpi, actual) {
    return actual.text || valueText(actual.value, unitOf(kpi));
  }

  function rateText(rate) {
    return rate === null || rate === undefined ? "目標値なし" : PERCENT.format(rate);
  }

  function latestText(kpi) {
    const p = kpi.progress;
    if (!p) return "実績はまだ記録されていません。";
    const counted = kpi.accumulation === "period_total" ? "累計 " : "";
    return (
      p.fiscal_year_label + ": " + counted + valueText(p.value, unitOf(kpi)) + "（進み具合 " + rateText(p.rate) + "）"
    );
  }

  function observedOf(kpiId) {
    if (!state.progress) return null;
    const row = state.progress.kpis.find((k) => k.id === kpiId);
    return row ? row.observed : null;
  }

  // --- KPIs: grouped by pillar and action ------------------------------------------------------

  // Each KPI once, under the first action it belongs to; those of no action come first.
  function kpiGroups() {
    const byAction = new Map();
    const general = [];
    for (const kpi of state.kpis) {
      if (kpi.actions.length === 0) {
        general.push(kpi);
        continue;
      }
      const first = kpi.actions[0];
      if (!byAction.has(first)) byAction.set(first, []);
      byAction.get(first).push(kpi);
    }
    const groups = [];
    if (general.length) {
      groups.push({ title: "計画全体（産業戦略指標）", actions: [{ title: null, kpis: general }] });
    }
    for (const pillar of state.pillars) {
      const actions = state.actions
        .filter((a) => a.pillar.number === pillar.number && byAction.has(a.number))
        .map((a) => ({ number: a.number, title: "アクション" + a.number + " " + a.title, kpis: byAction.get(a.number) }));
      if (actions.length) groups.push({ title: "柱" + pillar.number + " " + pillar.title, actions });
    }
    return groups;
  }

  function actionLabel(kpi) {
    if (kpi.actions.length === 0) return "計画全体";
    return "アクション" + kpi.actions.join("・");
  }

  // One KPI as a bar from its start (left) to its target (right): the fill is the progress of
  // the latest year with an actual, the ticks are the years' actuals.
  function kpiBar(kpi) {
    const W = 640;
    const X0 = 10;
    const X1 = W - 10;
    const span = X1 - X0;
    const at = (rate) => X0 + Math.max(0, Math.min(1, rate)) * span;
    const p = kpi.progress;
    // room under the bar for the years' labels (two rows when there are several)
    const height = kpi.actuals.length === 0 ? 44 : kpi.actuals.length === 1 ? 62 : 78;
    const label =
      kpi.name + "。現状値 " + startText(kpi) + "、目標値 " + kpi.target.text + "。" + latestText(kpi);
    const root = svg("svg", {
      class: "kpi-bar",
      viewBox: "0 0 " + W + " " + height,
      role: "img",
      "aria-label": label,
      "data-kpi-id": kpi.id,
    });
    root.append(
      svgText(X0, 14, "現状値 " + startText(kpi), "bar-end", "start"),
      svgText(X1, 14, "目標値 " + kpi.target.text, "bar-end", "end"),
      svg("rect", { class: "bar-track", x: X0, y: 22, width: span, height: 16, rx: 3 })
    );
    if (p && p.rate !== null) {
      const kind = p.rate >= 1 ? " reached" : p.rate < 0 ? " below" : "";
      root.append(
        svg(
          "rect",
          {
            class: "bar-fill" + kind,
            x: X0,
            y: 22,
            width: Math.max(at(p.rate) - X0, p.rate > 0 ? 2 : 0),
            height: 16,
            rx: 3,
            "data-rate": p.rate,
            "data-fiscal-year": p.fiscal_year,
          },
          tooltip(latestText(kpi))
        )
      );
    }
    kpi.actuals.forEach((a, i) => {
      if (a.rate === null) return;
      const x = at(a.rate);
      const where = a.fiscal_year_label + ": " + actualText(kpi, a) + "（進み具合 " + rateText(a.rate) + "）";
      root.append(
        svg(
          "line",
          { class: "bar-tick", x1: x, x2: x, y1: 18, y2: 42, "data-fiscal-year": a.fiscal_year },
          tooltip(where)
        ),
        svgText(Math.max(X0 + 14, Math.min(X1 - 14, x)), i % 2 ? 74 : 56, a.fiscal_year, "bar-year", "middle")
      );
    });
    return root;
  }

  function renderKpiCharts() {
    const box = $("kpi-charts");
    const blocks = [];
    for (const group of kpiGroups()) {
      const section = el("section", { className: "kpi-group" }, el("h3", { text: group.title }));
      for (const action of group.actions) {
        if (action.title) section.append(el("h4", { className: "kpi-action", text: action.title }));
        for (const kpi of action.kpis) {
          const observed = observedOf(kpi.id);
          section.append(
            el(
              "article",
              { className: "kpi-card", attrs: { "data-kpi-id": kpi.id } },
              el(
                "p",
                { className: "kpi-name" },
                el("strong", { text: kpi.name }),
                el("span", { className: "tag", text: kpi.accumulation_label })
              ),
              el("p", { className: "kpi-latest", text: latestText(kpi) }),
              kpiBar(kpi),
              observed
                ? el("p", {
                    className: "kpi-observed",
                    text:
                      observed.label + "（" + state.progress.fiscal_year_label + "）: " + observed.value + " 件",
                  })
                : null
            )
          );
        }
      }
      blocks.push(section);
    }
    box.replaceChildren(...blocks);
  }

  function renderKpiTable() {
    const tbody = $("kpi-table").tBodies[0];
    const heading = $("observed-heading");
    heading.textContent =
      "本サービス経由の紹介で完了した件数（参考" + (state.progress ? "・" + state.progress.fiscal_year_label : "") + "）";
    const rows = [];
    for (const group of kpiGroups()) {
      for (const action of group.actions) {
        for (const kpi of action.kpis) {
          const actuals = kpi.actuals.length
            ? kpi.actuals
                .map((a) => a.fiscal_year + "年度 " + actualText(kpi, a) + "（" + a.source + "）")
                .join("、")
            : "記録なし";
          const observed = observedOf(kpi.id);
          rows.push(
            el(
              "tr",
              { attrs: { "data-kpi-id": kpi.id } },
              el("td", { text: actionLabel(kpi) }),
              el("th", { text: kpi.name, attrs: { scope: "row" } }),
              el("td", { text: baselineText(kpi) }),
              el("td", { text: kpi.target.text }),
              el("td", { className: "actuals", text: actuals }),
              el("td", { className: "latest", text: latestText(kpi) }),
              el("td", { className: "observed", text: observed ? observed.value + " 件" : NONE })
            )
          );
        }
      }
    }
    tbody.replaceChildren(...rows);
  }

  async function loadKpis() {
    const box = $("kpi-charts");
    box.dataset.state = "loading";
    try {
      const [pillars, actions, kpis] = await Promise.all([
        api("/v1/pillars"),
        api("/v1/actions"),
        api("/v1/kpis?limit=200"),
      ]);
      state.pillars = pillars;
      state.actions = actions;
      state.kpis = kpis.items;
      renderKpiCharts();
      renderKpiTable();
      box.dataset.state = "ready";
    } catch (error) {
      box.replaceChildren(el("p", { className: "message error", text: failureText(error) }));
      box.dataset.state = "error";
    }
  }

  // --- referral outcomes of the year -----------------------------------------------------------

  function columnLabel(key) {
    const column = state.progress.columns.find((c) => c.key === key);
    return column ? column.label : key;
  }

  function daysText(days) {
    return days === null || days === undefined ? NONE : NUMBER.format(days) + " 日";
  }

  // Rows of four thin bars (sent, accepted, declined, completed) for each group with a count.
  function outcomeChart(groups, what) {
    const rows = groups.filter((g) => OUTCOMES.some((k) => g[k] > 0));
    if (rows.length === 0) return el("p", { className: "hint", text: "この年度の紹介はありません。" });
    const max = Math.max(1, ...rows.flatMap((g) => OUTCOMES.map((k) => g[k])));
    const LABEL = 130;
    const BARS = 300;
    const BAR = 10;
    const ROW = OUTCOMES.length * BAR + 14;
    const height = rows.length * ROW + 6;
    const root = svg("svg", {
      class: "outcome-chart",
      viewBox: "0 0 " + (LABEL + BARS + 40) + " " + height,
      role: "img",
      "aria-label": what + "の紹介の件数のグラフ（数字は「4. 表で見る」にあります）",
    });
    rows.forEach((g, r) => {
      const top = r * ROW + 6;
      root.append(svgText(LABEL - 8, top + (OUTCOMES.length * BAR) / 2 + 5, g.label, "row-label", "end"));
      OUTCOMES.forEach((key, i) => {
        const count = g[key];
        const width = (count / max) * BARS;
        const y = top + i * BAR;
        root.append(
          svg(
            "rect",
            {
              class: "bar bar-" + key,
              x: LABEL,
              y,
              width: count > 0 ? Math.max(width, 1.5) : 0,
              height: BAR - 1,
              "data-key": g.key,
              "data-status": key,
              "data-count": count,
            },
            tooltip(g.label + " " + columnLabel(key) + " " + count + " 件")
          )
        );
        if (count > 0) root.append(svgText(LABEL + width + 4, y + BAR - 1.5, count, "bar-count", "start"));
      });
    });
    return root;
  }

  function renderLegend() {
    const legend = $("legend");
    legend.replaceChildren(
      ...OUTCOMES.map((key) =>
        el(
          "li",
          {},
          svg("svg", { class: "swatch", viewBox: "0 0 12 12", "aria-hidden": "true" }, svg("rect", { class: "bar bar-" + key, width: 12, height: 12 })),
          columnLabel(key)
        )
      )
    );
    legend.hidden = false;
  }

  function outcomeHeader(table, first) {
    const row = table.tHead.rows[0];
    row.replaceChildren(
      el("th", { text: first, attrs: { scope: "col" } }),
      ...state.progress.columns.map((c) => el("th", { text: c.label, attrs: { scope: "col" } }))
    );
  }

  function outcomeRow(label, counts, key) {
    return el(
      "tr",
      key === undefined ? {} : { attrs: { "data-key": key } },
      el("th", { text: label, attrs: { scope: "row" } }),
      ...OUTCOMES.map((k) => el("td", { className: "count", text: counts[k] })),
      el("td", { className: "count", text: daysText(counts.median_days_to_accept) })
    );
  }

  function fillOutcomeTable(id, caption, first, groups) {
    const table = $(id);
    table.caption.textContent = caption;
    outcomeHeader(table, first);
    table.tBodies[0].replaceChildren(...groups.map((g) => outcomeRow(g.label, g, g.key)));
  }

  function renderProgress() {
    const p = state.progress;
    const year = p.fiscal_year_label;
    $("referral-year").textContent = "（" + year + "）";
    const t = p.totals;
    $("referral-summary").textContent =
      year +
      "（" + p.period.first_day + "〜" + p.period.last_day + "）: " +
      OUTCOMES.map((k) => columnLabel(k) + " " + t[k] + " 件").join("、") +
      "。受付までの日数の中央値 " + daysText(t.median_days_to_accept) +
      "。ニーズを読み取れなかった紹介 " + p.unclassified.sent + " 件。件数は紹介と状態の履歴から数えています（相談内容や事業者の情報は含みません）。";
    renderLegend();
    $("chart-support-types").replaceChildren(outcomeChart(p.by_support_type, "支援の種類ごと"));
    $("chart-municipalities").replaceChildren(outcomeChart(p.by_municipality, "市町ごと"));
    $("referral-charts").hidden = false;

    const totals = $("totals-table");
    totals.caption.textContent = year + " 紹介の件数（合計）";
    outcomeHeader(totals, "区分");
    totals.tBodies[0].replaceChildren(
      outcomeRow("すべての紹介", p.totals, "totals"),
      outcomeRow("ニーズを読み取れなかった紹介", p.unclassified, "unclassified")
    );
    fillOutcomeTable(
      "action-table",
      year + " 紹介の件数（計画のアクションごと。1件が複数のアクションに数えられることがあります）",
      "アクション",
      p.by_action.map((g) => ({ ...g, label: g.key + " " + g.label }))
    );
    fillOutcomeTable(
      "support-type-table",
      year + " 紹介の件数（支援の種類ごと）",
      "支援の種類",
      p.by_support_type
    );
    fillOutcomeTable("municipality-table", year + " 紹介の件数（紹介元の市町ごと）", "市町", p.by_municipality);
    $("outcome-tables").hidden = false;
    renderKpiCharts();
    renderKpiTable();
  }

  async function loadProgress() {
    const panel = $("referral-panel");
    const key = currentKey();
    updateKeyState();
    if (!key) {
      showMessage("warn", "紹介の状況を見るには、admin または analyst の API キーを入力してください。");
      return;
    }
    const year = $("fiscal-year").value;
    panel.dataset.state = "loading";
    $("show-button").disabled = true;
    try {
      state.progress = await api("/v1/progress?fiscal_year=" + encodeURIComponent(year), key);
      renderProgress();
      panel.dataset.state = "ready";
      showMessage("info", state.progress.fiscal_year_label + "の紹介の状況を表示しました。");
    } catch (error) {
      panel.dataset.state = "error";
      showMessage("error", failureText(error));
    } finally {
      $("show-button").disabled = false;
    }
  }

  // --- CSV -------------------------------------------------------------------------------------

  function fileName(disposition, fallback) {
    const match = /filename\*=UTF-8''([^;]+)/i.exec(disposition || "");
    if (!match) return fallback;
    try {
      return decodeURIComponent(match[1]);
    } catch (_) {
      return fallback;
    }
  }

  async function downloadCsv() {
    const key = currentKey();
    updateKeyState();
    if (!key) {
      showMessage("warn", "CSV をダウンロードするには、admin または analyst の API キーを入力してください。");
      return;
    }
    const year = $("fiscal-year").value;
    try {
      const response = await request("/v1/exports/progress.csv?fiscal_year=" + encodeURIComponent(year), key);
      const blob = await response.blob();
      const url = URL.createObjectURL(blob);
      const link = el("a", {
        attrs: { href: url, download: fileName(response.headers.get("content-disposition"), "progress.csv") },
      });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
      showMessage("info", year + "年度の CSV をダウンロードしました。");
    } catch (error) {
      showMessage("error", failureText(error));
    }
  }

  // --- wiring ----------------------------------------------------------------------------------

  function init() {
    fillYears();
    const stored = sessionStorage.getItem(KEY_STORAGE);
    if (stored) $("api-key").value = stored;
    updateKeyState();
    $("save-key").addEventListener("click", () => {
      if (!$("api-key").value.trim()) {
        showMessage("warn", "保存する API キーを入力してください。");
        return;
      }
      loadProgress();
    });
    $("clear-key").addEventListener("click", () => {
      sessionStorage.removeItem(KEY_STORAGE);
      $("api-key").value = "";
      updateKeyState();
    });
    $("show-button").addEventListener("click", loadProgress);
    $("csv-button").addEventListener("click", downloadCsv);
    loadKpis().then(() => {
      if (stored) loadProgress();
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
