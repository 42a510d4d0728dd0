// The results page: reads the public list and draws it. No credential, no other origin.
"use strict";
(() => {
  const base = document.querySelector('meta[name="whistle-base"]').content;
  const form = document.getElementById("filters");
  const list = document.getElementById("results");
  const more = document.getElementById("more");
  const empty = document.getElementById("empty");
  const seen = { street: new Map(), community: new Map(), category: new Map() };
  const ratings = { satisfied: "满意 satisfied", "basically-satisfied": "基本满意 basically satisfied", unsatisfied: "不满意 unsatisfied" };
  let cursor = null;

  const percent = (rate) => (rate === null || rate === undefined ? "–" : `${(rate * 100).toFixed(1)}%`);
  const text = (tag, content, className) => {
    const element = document.createElement(tag);
    element.textContent = content;
    if (className) element.className = className;
    return element;
  };

  // The filters offer what the list has shown: the page needs no credential to read the reference lists.
  const remember = (select, map, code, name) => {
    if (map.has(code)) return;
    map.set(code, name);
    const option = document.createElement("option");
    option.value = code;
    option.textContent = name;
    select.append(option);
  };

  const draw = (item) => {
    remember(form.streetCode, seen.street, item.streetCode, item.streetName);
    remember(form.communityCode, seen.community, item.communityCode, item.communityName);
    remember(form.categoryCode, seen.category, item.categoryCode, item.categoryName);
    const li = document.createElement("li");
    li.append(text("h2", `${item.categoryName} · ${item.streetName} ${item.communityName}`));
    const found = new Date(item.foundAt).toLocaleDateString("zh-CN");
    const hours = item.hoursTaken === null ? "" : ` · 用时 ${item.hoursTaken} 小时 (${item.hoursTaken} h)`;
    li.append(text("p", `${item.code} · 发现 ${found} · 办理 ${item.handledBy}${hours}`, "meta"));
    if (item.result) li.append(text("p", `处置结果 Result：${item.result}`));
    if (item.rating) li.append(text("p", `评价 Evaluation：${ratings[item.rating] ?? item.rating}`));
    const photos = document.createElement("div");
    photos.className = "photos";
    for (const photo of item.photos) {
      const figure = document.createElement("figure");
      const img = document.createElement("img");
      img.src = photo.thumbnailUrl;
      img.alt = photo.stage === "resolution" ? "处置后 after" : "处置前 before";
      img.loading = "lazy";
      figure.append(img, text("figcaption", img.alt));
      photos.append(figure);
    }
    li.append(photos);
    list.append(li);
  };

  const load = async (append) => {
    const query = new URLSearchParams();
    for (const [name, value] of new FormData(form)) if (value) query.set(name, value);
    if (append && cursor) query.set("cursor", cursor);
    const response = await fetch(`${base}/api/v1/public/results?${query}`);
    if (!response.ok) return;
    const page = await response.json();
    if (!append) list.replaceChildren();
    page.items.forEach(draw);
    cursor = page.nextCursor;
    more.hidden = !cursor;
    empty.hidden = list.children.length > 0;
    const figures = page.figures;
    document.getElementById("completion").textContent = percent(figures?.completionRate);
    document.getElementById("ontime").textContent = percent(figures?.onTimeCompletionRate);
    document.getElementById("satisfaction").textContent = percent(figures?.satisfactionRate);
    document.getElementById("valid").textContent = figures ? String(figures.validOrders) : "–";
  };

  form.addEventListener("change", () => load(false));
  more.addEventListener("click", () => load(true));
  load(false);
})();
