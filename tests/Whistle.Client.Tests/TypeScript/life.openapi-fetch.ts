// An order's life through openapi-fetch on openapi-typescript's types, written the obvious way.
import createClient from "openapi-fetch";
import { readFileSync } from "node:fs";
import type { components, paths } from "./generated/openapi-typescript/schema.js";
import { assert, baseUrl, communityKey, departmentKey, done, filing, gridWorkerKey, photoPath, step, supervisorKey } from "./steps.js";

const as = (key: string) => createClient<paths>({ baseUrl, headers: { "X-Api-Key": key } });
const gridWorker = as(gridWorkerKey);
const community = as(communityKey);
const department = as(departmentKey);
const supervisor = as(supervisorKey);

const filed = await step("file", async () => {
  const { data, response } = await gridWorker.POST("/api/v1/orders", { body: { ...filing } });
  assert.equal(response.status, 201);
  assert.ok(data);
  assert.equal(data.state, "discovered");
  return data;
});
const id = filed.id;
const path = { id };

await step("whistle", async () => {
  const { data } = await community.POST("/api/v1/orders/{id}/whistle", { params: { path }, body: {} });
  assert.equal(data?.state, "whistled");
  assert.equal(data?.departmentCode, "sanitation");
});

const etag = await step("read with its ETag", async () => {
  const { data, response } = await department.GET("/api/v1/orders/{id}", { params: { path } });
  assert.equal(data?.code, filed.code);
  const tag = response.headers.get("ETag");
  assert.ok(tag);
  return tag;
});

await step("acknowledge with If-Match", async () => {
  const { data } = await department.POST("/api/v1/orders/{id}/acknowledge", {
    params: { path, header: { "If-Match": etag } },
    body: { note: "Crew 2 will come this afternoon." },
  });
  assert.equal(data?.state, "acknowledged");
});

await step("resolve", async () => {
  const { data } = await department.POST("/api/v1/orders/{id}/resolve", { params: { path }, body: { result: "Bins emptied." } });
  assert.equal(data?.state, "resolved");
});

const evaluated = await step("evaluate", async () => {
  const rating: components["schemas"]["Rating"] = "basically-satisfied";
  const { data } = await community.POST("/api/v1/orders/{id}/evaluate", { params: { path }, body: { rating, comment: "Checked on site." } });
  assert.equal(data?.state, "closed");
  assert.equal(data?.rating, "basically-satisfied");
  return data!;
});

await step("history, with its details read by key", async () => {
  const { data } = await gridWorker.GET("/api/v1/orders/{id}/history", { params: { path } });
  assert.deepEqual(data?.map(entry => entry.action), ["file", "whistle", "acknowledge", "resolve", "evaluate"]);
  const departmentCode: unknown = data?.[1]?.details["departmentCode"];
  assert.equal(departmentCode, "sanitation");
});

await step("a 409 read as the action's problem", async () => {
  const { error, response } = await department.POST("/api/v1/orders/{id}/resolve", { params: { path }, body: { result: "Again" } });
  assert.equal(response.status, 409);
  // The error is any of the operation's problems: the 409's is the one with the order's state.
  assert.ok(error && "state" in error);
  assert.equal(error.state, "closed");
  assert.deepEqual(error.allowedActions, []);
  assert.equal(typeof error.traceId, "string");
});

await step("a 412 naming the current ETag", async () => {
  const { error, response } = await community.POST("/api/v1/orders/{id}/evaluate", {
    params: { path, header: { "If-Match": etag } },
    body: { rating: "unsatisfied", comment: "Overflowing again." },
  });
  assert.equal(response.status, 412);
  assert.ok(error && "currentETag" in error);
  assert.equal(error.currentETag, `"${evaluated.version}"`);
});

await step("a conditional request: If-None-Match is 304", async () => {
  const first = await supervisor.GET("/api/v1/stats/summary");
  assert.ok(first.data && first.data.figures.dispatchedOrders >= 1);
  const tag = first.response.headers.get("ETag") ?? "";
  const again = await supervisor.GET("/api/v1/stats/summary", { params: { header: { "If-None-Match": tag } } });
  assert.equal(again.response.status, 304);
  assert.equal(again.data, undefined);
});

await step("a download as text", async () => {
  const { data, response } = await supervisor.GET("/api/v1/stats/summary.csv", { parseAs: "text" });
  assert.equal(response.headers.get("Content-Type")?.split(";")[0], "text/csv");
  assert.ok(data?.includes("dispatchedOrders"));
});

await step("file with a photo in one request", async () => {
  const { data, response } = await gridWorker.POST("/api/v1/orders/with-photos", {
    body: { order: { ...filing }, file: [] },
    bodySerializer: () => {
      const form = new FormData();
      form.append("order", JSON.stringify(filing));
      form.append("file", new Blob([readFileSync(photoPath)], { type: "image/png" }), "bins.png");
      return form;
    },
  });
  assert.equal(response.status, 201);
  assert.equal(data?.photos.length, 1);
});

done();
