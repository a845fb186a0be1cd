// madoguchi front-desk console. Plain JavaScript, no build step, no third-party code.
// Every value that comes from the API is put on the page with textContent / text nodes,
// never parsed as HTML, and the page's Content-Security-Policy allows no inline script.
"use strict";

(() => {
  const KEY_STORAGE = "madoguchi.frontDeskKey";
  const TEXT_LIMIT = 1000;
  const MISSING = "未登録";
  const STATUS_LABELS = {
    sent: "送付済み",
    accepted: "受付",
    declined: "辞退",
    in_progress: "対応中",
    completed: "完了",
    unreachable: "連絡不能",
    withdrawn: "取り下げ",
  };
  const KIND_LABELS = {
    subsidy: "補助金",
    loan: "融資",
    guarantee: "保証",
    investment: "出資・ファンド",
    tax_incentive: "税制",
    consultation: "相談窓口",
    expert_dispatch: "専門家派遣",
    seminar_training: "セミナー・研修",
    certification: "認定・承認",
    matching_event: "商談会・マッチング",
    facility: "施設",
    network_council: "協議会・研究会",
    other: "その他",
  };
  const DATE_FORMAT = new Intl.DateTimeFormat("ja-JP", {
    timeZone: "Asia/Tokyo",
    year: "numeric",
    month: "long",
    day: "numeric",
  });
  const DATETIME_FORMAT = new Intl.DateTimeFormat("ja-JP", {
    timeZone: "Asia/Tokyo",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
  });

  const state = {
    result: null, // the last /v1/match answer
    text: "", // the words that answer is for
    municipalityCode: "",
    municipalityName: "",
    agencyId: null, // the chosen referral target
    contactsByAgency: new Map(), // agency id -> contact points (from the match or fetched)
    slipReady: Promise.resolve(),
  };

  const $ = (id) => document.getElementById(id);

  // --- small DOM helpers (text only) ---------------------------------------------------------


  function showMessage(box, kind, text) {
    box.className = "message " + kind;
    box.textContent = text;
    box.hidden = false;
    box.setAttribute("role", kind === "error" ? "alert" : "status");
  }

  function hideMessage(box) {
    box.hidden = true;
    box.textContent = "";
  }

  function percent(score) {
    return Math.round(Number(score) * 100) + "%";
  }

  function formatDateTime(iso) {
    const date = new Date(iso);
    return Number.isNaN(date.getTime()) ? String(iso) : DATETIME_FORMAT.format(date);
  }

  function orMissing(value) {
    return value === null || value === undefined || value === "" ? MISSING : String(value);
  }

  // --- the API ---------------------------------------------------------------------------------

  const { el, ApiFailure, failureText } = window.madoguchi;

  // JSON of a 2xx answer (null when it has none); an error answer throws ApiFailure.
  async function api(method, path, body, apiKey) {
    const response = await window.madoguchi.request(method, path, { body, apiKey });
    if (!(response.headers.get("content-type") || "").includes("json")) return null;
    try {
      return await response.json();
    } catch (_) {
      return null;
    }
  }


  // --- municipalities --------------------------------------------------------------------------

  async function loadMunicipalities() {
    const select = $("municipality");
    try {
      const page = await api("GET", "/v1/municipalities?limit=200");
      for (const m of page.items) {
        select.append(el("option", { text: m.name, attrs: { value: m.code } }));
      }
    } catch (error) {
      showMessage($("message"), "error", "市町の一覧を読み込めませんでした。" + failureText(error));
    }
  }

  // --- matching --------------------------------------------------------------------------------

  async function runMatch(text, note) {
    const messageBox = $("message");
    const button = $("match-button");
    const select = $("municipality");
    const body = { text };
    if (select.value) body.municipality = select.value;
    button.disabled = true;
    showMessage(messageBox, "info", "検索しています…");
    try {
      const result = await api("POST", "/v1/match", body);
      state.result = result;
      state.text = text.trim();
      state.municipalityCode = select.value;
      state.municipalityName = select.value ? select.selectedOptions[0].textContent : "";
      const shown = callFirst(result);
      state.agencyId = shown.length ? shown[0].id : null;
      state.contactsByAgency = new Map();
      for (const cp of result.contact_points) {
        if (!state.contactsByAgency.has(cp.agency_id)) state.contactsByAgency.set(cp.agency_id, []);
        state.contactsByAgency.get(cp.agency_id).push(cp);
      }
      renderResult(result);
      // A slip is a referral: none for a request that names no need.
      $("print-button").hidden = !result.matched;
      showMessage(messageBox, outcomeKind(result), (note ? note + " " : "") + outcomeText(result));
      updateReferralTarget();
      refreshSlip();
    } catch (error) {
      state.result = null;
      $("results").hidden = true;
      updateReferralTarget();
      showMessage(messageBox, "error", failureText(error));
    } finally {
      button.disabled = false;
    }
  }

  function outcomeKind(result) {
    return result.matched ? "info" : "warn";
  }

  function outcomeText(result) {
    if (result.out_of_scope) {
      return (
        "暮らしのご用件のようで、商工業の支援機関のご案内ではありません。" +
        (state.municipalityName || "お住まいの市町") +
        "の総合窓口（市役所・町役場）をご案内ください。紹介票は発行しません。"
      );
    }
    if (result.clarifying_questions.length) {
      return "ご相談の内容をもう少し詳しく伺ってください。近いものを選ぶと、もう一度検索します。";
    }
    if (!result.matched) {
      return (
        "このご相談は、登録されている支援の対象外か、内容から支援の種類を特定できませんでした。" +
        "県の総合的な相談窓口をご案内します。"
      );
    }
    return (
      "相談先の候補が " +
      result.agencies.length +
      " 件見つかりました。理由を確認し、紹介先を選んでください。"
    );
  }

  function showBlock(id, visible) {
    $(id).hidden = !visible;
  }

  function renderResult(result) {
    $("results").hidden = false;
    renderQuestions(result.clarifying_questions);
    renderNeeds(result.needs);
    renderSupportTypes(result.support_types);
    renderAgencies(result.agencies);
    renderProgrammes(result.programmes);
    renderNational(result.national_programmes || []);
    renderActions(result.actions);
    renderContacts(result.contact_points);
  }

  function renderQuestions(questions) {
    const box = $("questions");
    box.replaceChildren();
    box.hidden = questions.length === 0;
    for (const q of questions) {
      const options = el("div", { className: "options" });
      for (const option of q.options) {
        const button = el("button", {
          className: "option",
          text: option.label,
          attrs: { type: "button", title: option.text },
        });
        button.addEventListener("click", () => {
          // The owner's words stay; the chosen topic is added to them.
          const words = (state.text || $("need-text").value).trim();
          const combined = words ? words + "。" + option.text : option.text;
          $("need-text").value = combined;
          updateCount();
          runMatch(combined, "「" + option.label + "」を加えて検索し直しました。");
        });
        options.append(button);
      }
      box.append(el("p", { className: "question", text: q.question }), options);
    }
  }

  function evidenceText(ev) {
    return "ルール " + ev.rule_id + " ←『" + ev.matched_text + "』";
  }

  function renderNeeds(needs) {
    const list = $("needs");
    list.replaceChildren();
    showBlock("needs-block", needs.length > 0);
    for (const need of needs) {
      const item = el(
        "li",
        { className: need.negated ? "negated" : "" },
        el("strong", { text: need.label }),
        need.negated ? el("span", { className: "tag", text: "否定（順位付けに使いません）" }) : null,
        need.inferred ? el("span", { className: "tag", text: "推定（要確認）" }) : null,
        el("p", { className: "why", text: need.explanation || "" })
      );
      if (need.evidence.length > 0) {
        const evidence = el("ul", { className: "reasons" });
        for (const ev of need.evidence) evidence.append(el("li", { text: evidenceText(ev) }));
        item.append(grounds(evidence));
      }
      list.append(item);
    }
  }

  function renderSupportTypes(types) {
    const list = $("support-types");
    list.replaceChildren();
    showBlock("support-types-block", types.length > 0);
    for (const st of types) {
      list.append(
        el("li", { className: "chip" }, st.name, el("span", { className: "score", text: percent(st.score) }))
      );
    }
  }

  function reasonsList(reasons) {
    const list = el("ul", { className: "reasons" });
    for (const reason of reasons) list.append(el("li", { text: reason }));
    return list;
  }

  // Rule ids and matched words stay folded under 「根拠」 until the clerk opens them.
  function grounds(content) {
    return el("details", { className: "grounds" }, el("summary", { text: "根拠" }), content);
  }

  // Whom to call for a recommended agency: its local office for the chosen town, if one is
  // registered, else the agency itself; with the windows the answer holds for it.
  function windowOf(agency) {
    const office = agency.local_offices && agency.local_offices.length ? agency.local_offices[0] : null;
    if (office) return { id: office.id, name: office.name, contacts: office.contact_points, office: true };
    const contacts = (state.result ? state.result.contact_points : []).filter(
      (cp) => cp.agency_id === agency.id
    );
    return { id: agency.id, name: agency.name, contacts, office: false };
  }

  // Whom to call first: the API's `call_first` order (agencies with a window to call first).
  function callFirst(result) {
    const byId = new Map(result.agencies.map((a) => [a.id, a]));
    const order = (result.call_first || []).filter((id) => byId.has(id));
    return order.length === result.agencies.length ? order.map((id) => byId.get(id)) : result.agencies;
  }

  function renderAgencies(agencies) {
    const list = $("agencies");
    list.replaceChildren();
    showBlock("agencies-block", agencies.length > 0);
    (state.result ? callFirst(state.result) : agencies).forEach((agency, index) => {
      const radio = el("input", {
        attrs: { type: "radio", name: "agency", value: agency.id, id: "agency-" + index },
      });
      radio.checked = agency.id === state.agencyId;
      radio.addEventListener("change", () => {
        state.agencyId = agency.id;
        updateReferralTarget();
        refreshSlip();
      });
      const win = windowOf(agency);
      const title = el(
        "label",
        { className: "card-title", attrs: { for: "agency-" + index } },
        radio,
        el("span", { className: "rank", text: String(index + 1) }),
        el("span", { className: "name", text: win.name }),
        win.office ? el("span", { className: "tag", text: agency.name }) : null,
        el("span", { className: "score", text: "一致度 " + percent(agency.score) })
      );
      const contact = win.contacts.length
        ? contactDetails(win.contacts[0], true)
        : el("p", { className: "contact-missing", text: "窓口の連絡先: " + MISSING + "（登録されていません）" });
      list.append(
        el(
          "li",
          { className: "card agency", attrs: { "data-agency-id": agency.id, "data-window-id": win.id } },
          title,
          contact,
          el("p", { className: "why", text: agency.explanation || "" }),
          grounds(reasonsList(agency.reasons))
        )
      );
    });
  }

  function renderProgrammes(programmes) {
    const list = $("programmes");
    list.replaceChildren();
    showBlock("programmes-block", programmes.length > 0);
    programmes.forEach((programme, index) => {
      const box = el("input", {
        attrs: { type: "checkbox", value: programme.id, id: "programme-" + index },
      });
      box.addEventListener("change", refreshSlip);
      const title = el(
        "label",
        { className: "card-title", attrs: { for: "programme-" + index } },
        box,
        el("span", { className: "name", text: programme.name }),
        el("span", { className: "tag", text: KIND_LABELS[programme.kind] || programme.kind }),
        el("span", { className: "score", text: "一致度 " + percent(programme.score) })
      );
      // The API's own words: 「2013年の計画に記載（現状は要確認）」 until an editor confirms it.
      const status = el("p", {
        className: "status " + (programme.status === "confirmed" ? "confirmed" : "unconfirmed"),
        text: programme.status_label || "",
      });
      list.append(
        el("li", { className: "card programme" }, title, status, grounds(reasonsList(programme.reasons)))
      );
    });
  }

  function renderNational(national) {
    const list = $("national");
    list.replaceChildren();
    showBlock("national-block", national.length > 0);
    for (const p of national) {
      const facts = [["受付終了", DATETIME_FORMAT.format(new Date(p.acceptance_end))]];
      facts.push(["補助上限額", p.max_amount ? p.max_amount.toLocaleString("ja-JP") + " 円" : MISSING]);
      facts.push(["対象地域", p.target_areas.join("・") || MISSING]);
      facts.push(["詳細", urlNode(p.source_url)]);
      const dl = el("dl", { className: "contact" });
      for (const [label, value] of facts) {
        dl.append(el("dt", { text: label }), el("dd", {}, typeof value === "string" ? document.createTextNode(value) : value));
      }
      list.append(
        el(
          "li",
          { className: "card national" },
          el("p", { className: "card-title" }, el("span", { className: "name", text: p.name })),
          el("p", { className: "why", text: p.reason }),
          dl,
          el("p", { className: "source", text: "出典: jGrants（" + DATETIME_FORMAT.format(new Date(p.fetched_at)) + " 取得）" })
        )
      );
    }
  }

  function renderActions(actions) {
    const list = $("actions");
    list.replaceChildren();
    showBlock("actions-block", actions.length > 0);
    for (const action of actions) {
      list.append(el("li", { text: "アクション" + action.number + "「" + action.title + "」" }));
    }
  }

  function phoneText(cp) {
    if (!cp.phones || cp.phones.length === 0) return MISSING;
    return cp.phones.map((p) => (p.label ? p.label + " " : "") + p.number).join(" ／ ");
  }

  function addressText(cp) {
    if (!cp.address) return MISSING;
    return (cp.postal_code ? "〒" + cp.postal_code + " " : "") + cp.address;
  }

  function urlNode(url) {
    if (!url) return document.createTextNode(MISSING);
    if (/^https?:\/\//i.test(url)) {
      return el("a", { text: url, attrs: { href: url, rel: "noopener noreferrer", target: "_blank" } });
    }
    return document.createTextNode(url);
  }

  function sourceText(cp) {
    const parts = ["出典: " + orMissing(cp.source)];
    if (cp.as_of) parts.push("（" + cp.as_of + " 時点）");
    parts.push(cp.verified ? " 確認済み" : " 未確認の情報を含みます");
    return parts.join("");
  }

  function contactDetails(cp, withExtras) {
    const rows = [
      ["電話", document.createTextNode(phoneText(cp))],
      ["住所", document.createTextNode(addressText(cp))],
      ["URL", urlNode(cp.url)],
    ];
    if (withExtras) {
      rows.push(["メール", document.createTextNode(orMissing(cp.email))]);
      rows.push(["受付時間", document.createTextNode(orMissing(cp.hours))]);
    }
    const dl = el("dl", { className: "contact" });
    for (const [label, value] of rows) dl.append(el("dt", { text: label }), el("dd", {}, value));
    return dl;
  }

  function renderContacts(contacts) {
    const list = $("contacts");
    list.replaceChildren();
    showBlock("contacts-block", contacts.length > 0);
    for (const cp of contacts) {
      list.append(
        el(
          "li",
          { className: "card contact-point" },
          el("p", { className: "card-title" }, el("span", { className: "name", text: cp.name })),
          el("p", { className: "why", text: cp.agency_name + " — " + cp.reason }),
          cp.role ? el("p", { className: "role", text: cp.role }) : null,
          contactDetails(cp, true),
          el("p", { className: "source", text: sourceText(cp) })
        )
      );
    }
  }

  // --- the referral slip (printed) ------------------------------------------------------------

  function chosenProgrammes() {
    if (!state.result) return [];
    const checked = new Set(
      Array.from(document.querySelectorAll("#programmes input:checked"), (input) => input.value)
    );
    return state.result.programmes.filter((p) => checked.has(p.id));
  }

  function slipAgencies() {
    const agencies = state.result ? callFirst(state.result) : [];
    const chosen = agencies.find((a) => a.id === state.agencyId);
    const others = agencies.filter((a) => a.id !== state.agencyId).slice(0, chosen ? 2 : 3);
    return chosen ? [chosen, ...others] : others;
  }

  async function contactsFor(agencyId) {
    if (state.contactsByAgency.has(agencyId)) return state.contactsByAgency.get(agencyId);
    let found = [];
    try {
      let path = "/v1/contact-points?limit=10&agency=" + encodeURIComponent(agencyId);
      if (state.municipalityCode) path += "&municipality=" + encodeURIComponent(state.municipalityCode);
      // A programme's own window (e.g. the IP desk of the foundation) is the agency's door only
      // for that programme.
      const matched = new Set((state.result ? state.result.programmes : []).map((p) => p.id));
      found = (await api("GET", path)).items
        .filter((cp) => !cp.programme_id || matched.has(cp.programme_id))
        .slice(0, 3);
    } catch (_) {
      found = [];
    }
    state.contactsByAgency.set(agencyId, found);
    return found;
  }

  function slipContactBlock(title, subtitle, contacts) {
    const block = el("div", { className: "slip-agency" }, el("h3", {}, title, subtitle ? el("span", { className: "slip-tag", text: subtitle }) : null));
    if (contacts.length === 0) {
      block.append(el("p", { className: "slip-contact-name", text: "窓口の連絡先: " + MISSING }));
    }
    for (const cp of contacts.slice(0, 2)) {
      block.append(el("p", { className: "slip-contact-name", text: cp.name }), contactDetails(cp, false));
    }
    return block;
  }

  function refreshSlip() {
    state.slipReady = fillSlip();
    return state.slipReady;
  }

  let slipGeneration = 0;

  // Fetches what is missing first, then writes the whole slip at once (never half old, half
  // new); a fill overtaken by a newer one writes nothing. #slip[data-state] says when it is done.
  async function fillSlip() {
    const generation = ++slipGeneration;
    const slip = $("slip");
    slip.dataset.state = "filling";
    const result = state.result;
    const blocks = [];
    if (result) {
      const agencies = slipAgencies();
      for (const agency of agencies) {
        const label = agency.id === state.agencyId ? "紹介先" : "ほかの相談先";
        const win = windowOf(agency);
        const contacts = win.contacts.length ? win.contacts : await contactsFor(agency.id);
        blocks.push(slipContactBlock(win.name, label, contacts));
      }
      if (agencies.length === 0) {
        for (const cp of result.contact_points.slice(0, 2)) {
          blocks.push(slipContactBlock(cp.agency_name, "総合的な相談窓口", [cp]));
        }
      }
    }
    if (generation !== slipGeneration) return;

    const programmes = chosenProgrammes();
    const listed = programmes.length ? programmes : result ? result.programmes.slice(0, 4) : [];
    const topics = [];
    if (result) {
      for (const need of result.needs.filter((n) => !n.negated).slice(0, 3)) {
        const words = [...new Set(need.evidence.map((ev) => ev.matched_text))].slice(0, 3);
        const from = words.length ? "（お言葉の " + words.map((w) => "『" + w + "』").join("・") + " から）" : "";
        topics.push("「" + need.label + "」というご相談であること" + from);
      }
      for (const p of listed.slice(0, 3)) topics.push("「" + p.name + "」を利用できるか");
    }
    if (topics.length === 0) topics.push("上記のご相談内容を、そのままお伝えください");
    topics.push("この紹介票をご持参ください");

    $("slip-date").textContent = DATE_FORMAT.format(new Date());
    $("slip-municipality").textContent = (state.municipalityName || "（市町未選択）") + " 窓口";
    const slipText = $("slip-text");
    slipText.textContent = state.text;
    slipText.classList.toggle("long", state.text.length > 250 && state.text.length <= 600);
    slipText.classList.toggle("very-long", state.text.length > 600);
    $("slip-agencies").replaceChildren(...blocks);
    $("slip-programmes").replaceChildren(
      ...listed.map((p) =>
        el("li", {
          text:
            p.name +
            "（" +
            (KIND_LABELS[p.kind] || p.kind) +
            "）" +
            (p.status === "confirmed" ? "" : " ※" + (p.status_label || "現状は要確認")),
        })
      )
    );
    $("slip-programmes-section").hidden = listed.length === 0;
    $("slip-topics").replaceChildren(...topics.map((t) => el("li", { text: t })));
    slip.dataset.state = "ready";
  }

  async function printSlip() {
    if (!state.result || !state.result.matched) {
      showMessage($("message"), "warn", "先に「相談する」で候補を表示してください。");
      return;
    }
    await refreshSlip();
    window.print();
  }

  // --- referrals -------------------------------------------------------------------------------

  function currentKey() {
    return window.madoguchi.storedKey($("api-key"), KEY_STORAGE);
  }

  function updateKeyState() {
    const stored = sessionStorage.getItem(KEY_STORAGE);
    $("key-state").textContent = stored
      ? "キーを保存しました（このタブの sessionStorage のみ。タブを閉じると消えます）。"
      : "キーはこのタブ（sessionStorage）にだけ保存され、タブを閉じると消えます。";
  }

  // The referral goes to the local office when the chosen agency has one for the town.
  function referralTarget() {
    const agency = state.result && state.result.agencies.find((a) => a.id === state.agencyId);
    return agency ? windowOf(agency) : null;
  }

  function updateReferralTarget() {
    const target = $("referral-target");
    const win = referralTarget();
    target.textContent = win
      ? win.name + "（紹介元: " + (state.municipalityName || "市町未選択") + "）"
      : "（「相談する」で候補を表示し、機関を選んでください）";
  }

  function syncConsent() {
    const consent = $("consent").checked;
    for (const id of ["enterprise-name", "enterprise-contact"]) {
      const input = $(id);
      input.disabled = !consent;
      if (!consent) input.value = "";
    }
  }

  async function recordReferral(event) {
    event.preventDefault();
    if (event.submitter && event.submitter.id !== "record-button") return;
    const box = $("referral-message");
    const key = currentKey();
    updateKeyState();
    if (!key) return showMessage(box, "warn", "窓口の API キーを入力してください。");
    if (!state.result || !state.agencyId) {
      return showMessage(box, "warn", "先に「相談する」で候補を表示し、紹介先の機関を選んでください。");
    }
    if (!state.municipalityCode) {
      return showMessage(box, "warn", "市町を選んでから「相談する」を押し、紹介元の市町を決めてください。");
    }
    const win = referralTarget();
    if (!window.confirm(win.name + " への紹介を記録します。よろしいですか？")) {
      return showMessage(box, "info", "記録を取りやめました。");
    }
    const consent = $("consent").checked;
    const body = {
      text: state.text,
      agency_id: win.id,
      programme_ids: chosenProgrammes().map((p) => p.id),
      municipality: state.municipalityCode,
      consent,
    };
    if (consent) {
      const name = $("enterprise-name").value.trim();
      const contact = $("enterprise-contact").value.trim();
      if (name) body.enterprise_name = name;
      if (contact) body.enterprise_contact = contact;
    }
    const button = $("record-button");
    button.disabled = true;
    try {
      const created = await api("POST", "/v1/referrals", body, key);
      showMessage(
        box,
        "info",
        "紹介を記録しました（番号 " + created.id + "、" + created.agency_name + "、状態: " + created.status_label + "）。"
      );
      $("consent").checked = false;
      syncConsent();
      await loadReferrals();
    } catch (error) {
      showMessage(box, "error", failureText(error));
    } finally {
      button.disabled = false;
    }
  }

  function statusBadge(status, label) {
    return el("span", {
      className: "status status-" + status,
      text: label || STATUS_LABELS[status] || status,
      attrs: { "data-status": status },
    });
  }

  async function loadReferrals() {
    const key = currentKey();
    const table = $("referrals");
    const summary = $("referrals-summary");
    const tbody = table.tBodies[0];
    if (!key) {
      table.hidden = true;
      tbody.replaceChildren();
      summary.textContent = "API キーを入力すると、この窓口が記録した紹介の一覧が表示されます。";
      return;
    }
    try {
      const page = await api("GET", "/v1/referrals?limit=50", undefined, key);
      tbody.replaceChildren(
        ...page.items.map((r) => {
          const button = el("button", { text: "経過", attrs: { type: "button" } });
          button.addEventListener("click", () => showReferral(r.id));
          return el(
            "tr",
            { attrs: { "data-referral-id": String(r.id) } },
            el("td", { text: "#" + r.id }),
            el("td", { text: formatDateTime(r.created_at) }),
            el("td", { text: r.agency_name }),
            el("td", { text: r.municipality_name }),
            el("td", {}, statusBadge(r.status, r.status_label)),
            el("td", { className: "clip", text: r.text, attrs: { title: r.text } }),
            el("td", {}, button)
          );
        })
      );
      table.hidden = page.items.length === 0;
      summary.textContent =
        page.total === 0
          ? "この窓口の紹介はまだありません。"
          : "全 " + page.total + " 件" + (page.total > page.items.length ? "（新しい " + page.items.length + " 件を表示）" : "");
    } catch (error) {
      table.hidden = true;
      tbody.replaceChildren();
      summary.textContent = failureText(error);
    }
  }

  function programmeName(id) {
    const known = state.result && state.result.programmes.find((p) => p.id === id);
    return known ? known.name : id;
  }

  async function showReferral(id) {
    const box = $("referral-detail");
    try {
      const r = await api("GET", "/v1/referrals/" + encodeURIComponent(id), undefined, currentKey());
      const history = el("tbody");
      for (const h of r.history) {
        const change = (h.from_status ? (STATUS_LABELS[h.from_status] || h.from_status) + " → " : "") + (STATUS_LABELS[h.to_status] || h.to_status);
        history.append(
          el(
            "tr",
            {},
            el("td", { text: formatDateTime(h.at) }),
            el("td", { text: change }),
            el("td", { text: h.note || "" }),
            el("td", { text: h.key_scope + "（" + h.key_prefix + "…）" })
          )
        );
      }
      const next = r.allowed_transitions.map((s) => STATUS_LABELS[s] || s).join("・");
      const personal = r.personal_data_erased_at
        ? "消去済み（" + formatDateTime(r.personal_data_erased_at) + "）"
        : r.consent
          ? orMissing(r.enterprise_name) + " ／ " + orMissing(r.enterprise_contact)
          : "（同意なし）";
      box.replaceChildren(
        el("h4", {}, "紹介 #" + r.id + " ", statusBadge(r.status, r.status_label)),
        el(
          "dl",
          { className: "contact" },
          el("dt", { text: "紹介先" }),
          el("dd", { text: r.agency_name }),
          el("dt", { text: "紹介元" }),
          el("dd", { text: r.municipality_name }),
          el("dt", { text: "相談内容" }),
          el("dd", { text: r.text }),
          el("dt", { text: "制度" }),
          el("dd", { text: r.programme_ids.length ? r.programme_ids.map(programmeName).join("、") : "なし" }),
          el("dt", { text: "事業者" }),
          el("dd", { text: personal }),
          el("dt", { text: "次の状態" }),
          el("dd", { text: next || "なし（完了済み）" })
        ),
        el(
          "table",
          { className: "history" },
          el("thead", {}, el("tr", {}, el("th", { text: "日時" }), el("th", { text: "状態" }), el("th", { text: "メモ" }), el("th", { text: "操作" }))),
          history
        )
      );
      box.hidden = false;
    } catch (error) {
      box.replaceChildren(el("p", { className: "message error", text: failureText(error) }));
      box.hidden = false;
    }
  }

  // --- wiring ----------------------------------------------------------------------------------

  function updateCount() {
    $("text-count").textContent = String($("need-text").value.length);
  }

  function init() {
    $("need-text").setAttribute("maxlength", String(TEXT_LIMIT));
    $("need-text").addEventListener("input", updateCount);
    $("match-form").addEventListener("submit", (event) => {
      event.preventDefault();
      runMatch($("need-text").value);
    });
    $("print-button").addEventListener("click", printSlip);
    $("consent").addEventListener("change", syncConsent);
    $("referral-form").addEventListener("submit", recordReferral);
    // Enter in a text field must not record a referral: only the button does, after a confirm.
    $("referral-form").addEventListener("keydown", (event) => {
      if (event.key === "Enter" && event.target instanceof HTMLInputElement) event.preventDefault();
    });
    $("refresh-referrals").addEventListener("click", loadReferrals);
    $("save-key").addEventListener("click", () => {
      if (!$("api-key").value.trim()) {
        showMessage($("referral-message"), "warn", "保存する API キーを入力してください。");
        return;
      }
      currentKey();
      updateKeyState();
      hideMessage($("referral-message"));
      loadReferrals();
    });
    $("clear-key").addEventListener("click", () => {
      sessionStorage.removeItem(KEY_STORAGE);
      $("api-key").value = "";
      updateKeyState();
      $("referral-detail").hidden = true;
      loadReferrals();
    });
    window.addEventListener("beforeprint", () => {
      // Ctrl+P: the slip is kept filled after every change, so only the date is refreshed here.
      $("slip-date").textContent = DATE_FORMAT.format(new Date());
    });
    const stored = sessionStorage.getItem(KEY_STORAGE);
    if (stored) $("api-key").value = stored;
    updateKeyState();
    syncConsent();
    updateCount();
    refreshSlip();
    loadMunicipalities();
    loadReferrals();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
