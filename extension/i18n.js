// The panel's and the options page's words in Chinese and English; the UI language follows the browser, with a toggle.
"use strict";

const DRAFTDESK_STRINGS = {
  zh: {
    title: "draftdesk 回复草稿",
    toggle: "EN",
    toggleTitle: "Switch to English",
    settings: "设置",
    message: "买家消息",
    messagePlaceholder: "在页面上选中买家的消息，或粘贴到这里",
    fromPage: "读取页面",
    platform: "平台",
    role: "角色",
    locale: "回复语言",
    locale_auto: "自动",
    locale_zh: "中文",
    locale_en: "English",
    platform_taobao: "淘宝",
    platform_pdd: "拼多多",
    platform_jd: "京东",
    platform_amazon: "亚马逊",
    role_l1: "一线客服",
    role_l2: "二线客服",
    role_supervisor: "主管",
    draft: "生成草稿",
    drafting: "正在生成…",
    reply: "草稿（可编辑）",
    insert: "插入回复框",
    copy: "复制",
    copied: "已复制",
    inserted: "已插入回复框",
    citations: "引用来源",
    noCitations: "没有引用来源",
    quickReplies: "快捷回复",
    intent: "意图",
    confidence: "置信度",
    provider: "生成方式",
    degraded: "大模型不可用，已使用模板草稿",
    needsHuman: "需要人工处理",
    handoffTo: "转交",
    compliancePassed: "平台规则检查通过",
    complianceFailed: "平台规则检查未通过",
    readSelection: "已读取页面选中的消息",
    readSelector: "已读取页面上的买家消息",
    readNothing: "页面上没有选中的文字：请选中买家的消息后点“读取页面”，或直接粘贴。",
    err_network: "无法连接 draftdesk 服务（{url}）。请确认服务已启动，并检查设置中的服务器地址。",
    err_timeout: "draftdesk 服务（{url}）长时间没有响应，请稍后再试。",
    err_http: "服务器返回错误 {status}（{code}）：{message}",
    err_no_tab: "没有找到卖家后台页面。请先打开卖家后台的聊天页面。",
    err_no_access: "无法访问当前页面：请在该页面上点击 draftdesk 图标打开侧边栏，或在设置中授权该网站。（{message}）",
    err_no_reply_box: "页面上没有找到回复框：请先点一下回复框，或在设置中填写回复框选择器。",
    err_internal: "出错了：{message}",
    // options page
    optionsTitle: "draftdesk 设置",
    serverUrl: "服务器地址",
    serverUrlHelp: "draftdesk API 的地址，例如 http://127.0.0.1:8000 或团队服务器地址。",
    apiKey: "API 密钥",
    apiKeyHelp: "以 Authorization: Bearer 发送；只保存在本机，不会同步。",
    defaultPlatform: "默认平台",
    defaultRole: "默认角色",
    defaultLocale: "默认回复语言",
    messageSelector: "买家消息选择器（CSS）",
    messageSelectorHelp: "没有选中文字时，读取最后一个匹配的元素，例如 .chat .buyer .text",
    replySelector: "回复框选择器（CSS）",
    replySelectorHelp: "留空时使用最后点过的输入框或页面上的回复框，例如 #reply",
    save: "保存",
    saved: "已保存",
    test: "测试连接",
    testOk: "连接成功",
    permissionDenied: "未获得访问该服务器的权限，草稿请求会失败。",
  },
  en: {
    title: "draftdesk drafts",
    toggle: "中文",
    toggleTitle: "切换到中文",
    settings: "Settings",
    message: "Buyer message",
    messagePlaceholder: "Select the buyer's message on the page, or paste it here",
    fromPage: "Read page",
    platform: "Platform",
    role: "Role",
    locale: "Reply language",
    locale_auto: "Auto",
    locale_zh: "中文",
    locale_en: "English",
    platform_taobao: "Taobao",
    platform_pdd: "Pinduoduo",
    platform_jd: "JD",
    platform_amazon: "Amazon",
    role_l1: "L1 agent",
    role_l2: "L2 agent",
    role_supervisor: "Supervisor",
    draft: "Draft",
    drafting: "Drafting…",
    reply: "Draft (editable)",
    insert: "Insert into reply box",
    copy: "Copy",
    copied: "Copied",
    inserted: "Inserted into the reply box",
    citations: "Citations",
    noCitations: "No citations",
    quickReplies: "Quick replies",
    intent: "Intent",
    confidence: "Confidence",
    provider: "Provider",
    degraded: "The LLM was unavailable: this is the template draft",
    needsHuman: "Needs a human",
    handoffTo: "Hand off to",
    compliancePassed: "Platform rules: passed",
    complianceFailed: "Platform rules: failed",
    readSelection: "Read the selected message from the page",
    readSelector: "Read the buyer's message from the page",
    readNothing: "Nothing is selected on the page: select the buyer's message and press “Read page”, or paste it.",
    err_network: "Cannot reach the draftdesk server at {url}. Is it running? Check the server URL in Settings.",
    err_timeout: "The draftdesk server at {url} did not answer in time. Try again later.",
    err_http: "The server answered {status} ({code}): {message}",
    err_no_tab: "No seller page found. Open the seller console's chat page first.",
    err_no_access: "Cannot access this page: open the panel with the draftdesk icon on that page, or allow the site in Settings. ({message})",
    err_no_reply_box: "No reply box found on the page: click into the reply box first, or set a reply box selector in Settings.",
    err_internal: "Something went wrong: {message}",
    optionsTitle: "draftdesk settings",
    serverUrl: "Server URL",
    serverUrlHelp: "Where the draftdesk API runs, e.g. http://127.0.0.1:8000 or your team's server.",
    apiKey: "API key",
    apiKeyHelp: "Sent as Authorization: Bearer; kept on this computer only, never synced.",
    defaultPlatform: "Default platform",
    defaultRole: "Default role",
    defaultLocale: "Default reply language",
    messageSelector: "Buyer message selector (CSS)",
    messageSelectorHelp: "Used when nothing is selected: the last matching element, e.g. .chat .buyer .text",
    replySelector: "Reply box selector (CSS)",
    replySelectorHelp: "Empty: the last focused text box, else the page's reply box. E.g. #reply",
    save: "Save",
    saved: "Saved",
    test: "Test connection",
    testOk: "Connected",
    permissionDenied: "Access to this server was not granted: draft requests will fail.",
  },
};

async function draftdeskUiLanguage() {
  const { uiLang } = await chrome.storage.local.get("uiLang");
  if (uiLang === "zh" || uiLang === "en") return uiLang;
  return (navigator.language || "").toLowerCase().startsWith("zh") ? "zh" : "en";
}

function draftdeskText(lang, key, vars = {}) {
  const template = DRAFTDESK_STRINGS[lang][key] ?? DRAFTDESK_STRINGS.en[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : ""));
}

// Fills every [data-i18n] element's text and every [data-i18n-placeholder] placeholder.
function draftdeskApplyLanguage(lang) {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = draftdeskText(lang, el.dataset.i18n);
  for (const el of document.querySelectorAll("[data-i18n-placeholder]")) {
    el.placeholder = draftdeskText(lang, el.dataset.i18nPlaceholder);
  }
  for (const el of document.querySelectorAll("[data-i18n-title]")) el.title = draftdeskText(lang, el.dataset.i18nTitle);
}

// The one wording for an error from the service worker ({code, message, status?, url?}).
function draftdeskErrorText(lang, error) {
  if (error.status) return draftdeskText(lang, "err_http", error);
  const key = `err_${error.code}`;
  return DRAFTDESK_STRINGS.en[key] ? draftdeskText(lang, key, error) : draftdeskText(lang, "err_internal", error);
}
