// madoguchi console pages: what the front-desk console (console.js) and the yearly review
// (progress.js) share. Plain JavaScript, no build step; loaded before each page's own script.
// Every value is put on the page as text or an attribute value, never parsed as HTML.
"use strict";

window.madoguchi = (() => {
  // A DOM element with text (never HTML), attributes and children.
  function el(tag, options, ...children) {
    const node = document.createElement(tag);
    const opts = options || {};
    if (opts.className) node.className = opts.className;
    if (opts.text !== undefined && opts.text !== null) node.textContent = String(opts.text);
    if (opts.attrs) {
      for (const [name, value] of Object.entries(opts.attrs)) node.setAttribute(name, String(value));
    }
    for (const child of children) {
      if (child !== null && child !== undefined) node.append(child);
    }
    return node;
  }

  // An error answer of the API: its problem `detail` (Japanese) and HTTP status.
  class ApiFailure extends Error {
    constructor(message, status) {
      super(message);
      this.status = status || 0;
    }
  }

  // A request to this server; resolves to the Response of a 2xx, else throws ApiFailure.
  async function request(method, path, { body, apiKey, accept } = {}) {
    const headers = { Accept: accept || "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (apiKey) headers.Authorization = "Bearer " + apiKey;
    let response;
    try {
      response = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "omit",
        cache: "no-store",
      });
    } catch (_) {
      throw new ApiFailure(
        "サーバーに接続できませんでした。ネットワークを確認して、もう一度お試しください。"
      );
    }
    if (!response.ok) {
      let detail = "エラーが発生しました（HTTP " + response.status + "）。";
      if ((response.headers.get("content-type") || "").includes("json")) {
        try {
          const problem = await response.json();
          if (problem && typeof problem.detail === "string") detail = problem.detail;
        } catch (_) {
          // not JSON after all: the status says enough
        }
      }
      throw new ApiFailure(detail, response.status);
    }
    return response;
  }

  // The desk's sentence for a failure; `forbidden`: what a 403 means on this page.
  function failureText(error, forbidden) {
    const detail = error instanceof ApiFailure ? error.message : "予期しないエラーが発生しました。";
    let text = "エラー: " + detail;
    if (error instanceof ApiFailure && error.status === 401) {
      text += "（API キーが正しいか、失効していないかを確認してください）";
    } else if (error instanceof ApiFailure && error.status === 403 && forbidden) {
      text += "（" + forbidden + "）";
    } else if (error instanceof ApiFailure && error.status === 429) {
      text += "（少し待ってから、もう一度お試しください）";
    }
    return text;
  }

  // The API key typed into `field`, kept in this tab's sessionStorage under `storageKey`
  // (gone when the tab closes); the stored one when the field is empty.
  function storedKey(field, storageKey) {
    const key = field.value.trim();
    if (key) sessionStorage.setItem(storageKey, key);
    return key || sessionStorage.getItem(storageKey) || "";
  }

  return Object.freeze({ el, ApiFailure, request, failureText, storedKey });
})();
