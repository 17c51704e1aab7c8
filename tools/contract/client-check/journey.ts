// A partner's program, written only against the client generated from the served OpenAPI document: types from
// openapi-typescript (points-api.d.ts, generated beside this file), calls through openapi-fetch. The contract test
// (tests/Points.Functions.Tests/Contract/GeneratedClientTests.cs) copies it beside freshly generated types,
// type-checks it with tsc, runs it with node against the test app, and reads the one JSON line each step prints.
//
// Register a member → grant points (admin) → redeem some, retry the redemption, try one too large → read the history.
import createClient from "openapi-fetch";
import type { paths } from "./points-api.js";

// Node's process, declared here so that the program needs no @types/node.
declare const process: { env: Record<string, string | undefined> };

function setting(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

function report(step: string, values: Record<string, unknown>): void {
  console.log(JSON.stringify({ step, ...values }));
}

function fail(step: string, response: Response, error: unknown): never {
  throw new Error(`${step}: HTTP ${response.status} ${JSON.stringify(error)}`);
}

const client = createClient<paths>({ baseUrl: setting("POINTS_BASE_URL") });
const memberId = setting("POINTS_MEMBER_ID");
// One key per scope, as a partner's systems would hold them.
const membersWrite = { "X-Api-Key": setting("POINTS_KEY_MEMBERS_WRITE") };
const membersRead = { "X-Api-Key": setting("POINTS_KEY_MEMBERS_READ") };
const pointsWrite = { "X-Api-Key": setting("POINTS_KEY_POINTS_WRITE") };
const admin = { "X-Api-Key": setting("POINTS_KEY_ADMIN") };

const registered = await client.PUT("/api/v1/members/{memberId}", {
  params: { path: { memberId } },
  headers: membersWrite,
  body: { tags: ["contract-check"], newsletterOptIn: true },
});
if (!registered.data) fail("register", registered.response, registered.error);
report("register", { status: registered.response.status, balance: registered.data.balance });

const adjusted = await client.POST("/api/v1/admin/members/{memberId}/adjustments", {
  params: { path: { memberId }, header: { "Idempotency-Key": `grant-${memberId}` } },
  headers: admin,
  body: { points: 500, reason: "welcome gift" },
});
if (!adjusted.data) fail("adjust", adjusted.response, adjusted.error);
report("adjust", { status: adjusted.response.status, balance: adjusted.data.balance });

const redemption = {
  params: { path: { memberId }, header: { "Idempotency-Key": `order-1-${memberId}` } },
  headers: pointsWrite,
  body: { points: 120, purpose: "order", orderId: "order-1" },
};
const redeemed = await client.POST("/api/v1/members/{memberId}/redemptions", redemption);
if (!redeemed.data) fail("redeem", redeemed.response, redeemed.error);
report("redeem", {
  status: redeemed.response.status,
  balance: redeemed.data.balance,
  consumed: redeemed.data.consumed.reduce((sum, lot) => sum + lot.points, 0),
});

// A retry with the same Idempotency-Key and body answers the first redemption again.
const retried = await client.POST("/api/v1/members/{memberId}/redemptions", redemption);
if (!retried.data) fail("redeem-retry", retried.response, retried.error);
report("redeem-retry", {
  status: retried.response.status,
  balance: retried.data.balance,
  replayed: retried.response.headers.get("Idempotent-Replayed"),
  sameRedemption: retried.data.redemptionId === redeemed.data.redemptionId,
});

// More than the balance: refused with a problem whose code the document lists.
const refused = await client.POST("/api/v1/members/{memberId}/redemptions", {
  params: { path: { memberId }, header: { "Idempotency-Key": `order-2-${memberId}` } },
  headers: pointsWrite,
  body: { points: 100_000, purpose: "other" },
});
if (refused.data) throw new Error("redeem-refused: a redemption beyond the balance was accepted");
report("redeem-refused", { status: refused.response.status, code: refused.error.code });

const history = await client.GET("/api/v1/members/{memberId}/transactions", {
  params: { path: { memberId }, query: { limit: 10 } },
  headers: membersRead,
});
if (!history.data) fail("history", history.response, history.error);
report("history", {
  status: history.response.status,
  entries: history.data.items.map((entry) => ({ type: entry.type, points: entry.points, balanceAfter: entry.balanceAfter })),
  next: history.data.next,
});
