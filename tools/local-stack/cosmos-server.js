#!/usr/bin/env node
// Starts the pinned @vercel/cosmosdb-server with compatibility fixes, then hands over to its own CLI
// (same arguments: --port N --host H [--no-ssl]), plus one of ours, --latency-ms N (see the end of this file).
//
// Why the first fix: in version 1.0.1 a point read (GET .../docs/{id}) of a document that does not exist
// answers 500 "Cannot read properties of undefined" instead of 404, because the handler compares the
// partition key fields of the document before checking that it exists. Real Cosmos DB answers 404,
// and application code relies on that ("read, and create when not found"). Delete, replace and patch
// already answer 404 and are left alone.
"use strict";

const readDocument = require("@vercel/cosmosdb-server/lib/handler/read-document");
const readDocuments = require("@vercel/cosmosdb-server/lib/handler/read-documents");
const Documents = require("@vercel/cosmosdb-server/lib/account/documents").default;
const partitionHeader = require("@vercel/cosmosdb-server/lib/utils/get-partition-from-header");

const originalReadDocument = readDocument.default;

function notFound(res) {
  res.statusCode = 404;
  return { code: "NotFound", message: "Entity with the specified id does not exist in the system.," };
}

// Must be replaced before the server's routes module is loaded: it captures the handler at load time.
readDocument.default = (account, req, res, params) => {
  const collection = account.database(params.dbId).collection(params.collId);
  if (collection.read()) {
    let partitionKey;
    try {
      partitionKey = partitionHeader.parsePartitionKey(partitionHeader.default(req), params.docId);
    } catch (error) {
      // A missing or malformed partition key header: keep the server's own answer.
      return originalReadDocument(account, req, res, params);
    }
    if (!collection.document(params.docId, partitionKey).read()) {
      return notFound(res);
    }
  }
  return originalReadDocument(account, req, res, params);
};

// Why the second fix: 1.0.1 fakes the change feed. It answers a feed request (A-IM: Incremental feed) without
// If-None-Match with the whole read feed and ETag "1", and every request with If-None-Match with 304, so an SDK
// iterator started from Now() or from a continuation never sees a new write. Cosmos DB keeps, per document, the
// sequence number (_lsn) of its latest write; the feed returns the documents whose latest write is newer than the
// client's ETag, oldest first, and the ETag of a page is the _lsn of its last document. We do the same with one
// sequence for the whole server (increasing within each container too, which is all a client can observe).
// Only the latest version of a document exists here, and a deleted one is simply gone: the LatestVersion mode.
//
// What the .NET SDK 3.64 sends on GET .../docs with A-IM (measured):
//   Beginning()              no If-None-Match
//   Now()                    If-None-Match: *                      (answered 304 with the current sequence)
//   ContinuationToken(t)     If-None-Match: <the ETag we returned> (unquoted, as we send it)
//   Time(t)                  If-Modified-Since: <HTTP date>, no If-None-Match
// For a whole container it scopes the request with x-ms-documentdb-partitionkeyrangeid: 0 (the server has one
// range, so nothing to filter); FeedRange.FromPartitionKey(pk) sends x-ms-documentdb-partitionkey instead, which
// we honour. The SDK also reads .../pkranges as an incremental feed: that route keeps the server's own answer
// (ETag "1", then 304), right for ranges that never change.
let sequence = 0;

const originalSet = Documents.prototype._set;
// Every create, replace, upsert and patch of a document ends here (replace and upsert re-insert the document).
Documents.prototype._set = function (data) {
  sequence += 1;
  data._lsn = sequence;
  return originalSet.call(this, data);
};

function notModified(res, etag) {
  res.statusCode = 304;
  res.setHeader("etag", String(etag));
  // The SDK parses the item count of every feed answer, 304 included (a missing header throws in 3.64).
  res.setHeader("x-ms-item-count", "0");
  return {};
}

const originalReadDocuments = readDocuments.default;
readDocuments.default = (account, req, res, params) => {
  if (!/^incremental feed$/i.test(req.headers["a-im"] || "")) {
    return originalReadDocuments(account, req, res, params);
  }
  const collection = account.database(params.dbId).collection(params.collId);
  if (!collection.read()) {
    res.statusCode = 404;
    return { code: "NotFound", message: "Entity with the specified id does not exist in the system.," };
  }
  // The server's request handler (index.js) rewrites any 200 answer to a feed request into its fake (ETag "1",
  // 304 when If-None-Match is present); without the header it leaves our answer alone.
  delete req.headers["a-im"];

  const ifNoneMatch = (req.headers["if-none-match"] || "").replace(/"/g, "");
  if (ifNoneMatch === "*") {
    return notModified(res, sequence);
  }
  const after = ifNoneMatch === "" ? 0 : Number(ifNoneMatch);
  if (!Number.isSafeInteger(after)) {
    res.statusCode = 400;
    return { code: "BadRequest", message: `Invalid If-None-Match for the change feed: ${ifNoneMatch}` };
  }
  const modifiedSince = ifNoneMatch === "" && req.headers["if-modified-since"]
    ? Math.floor(Date.parse(req.headers["if-modified-since"]) / 1000)
    : null;
  const partitionKeyHeader = partitionHeader.default(req);
  const partition = partitionKeyHeader ? partitionHeader.parsePartitionKey(partitionKeyHeader, undefined) : undefined;

  const changed = [...collection.documents._data.values()].map(item => item.read())
    .filter(doc => doc._lsn > after)
    .filter(doc => modifiedSince === null || doc._ts >= modifiedSince)
    .filter(doc => partition === undefined || collection.documents._getPartition(doc) === partition)
    .sort((a, b) => a._lsn - b._lsn);
  const maxItemCount = parseInt(req.headers["x-ms-max-item-count"], 10);
  const page = maxItemCount > 0 ? changed.slice(0, maxItemCount) : changed;
  if (page.length === 0) {
    // A continuation keeps its ETag. From the beginning or a time, every write so far was looked at: continue after it.
    return notModified(res, ifNoneMatch === "" ? sequence : after);
  }
  res.setHeader("etag", String(page[page.length - 1]._lsn));
  res.setHeader("x-ms-item-count", String(page.length));
  return { _rid: collection.read()._rid, Documents: page, _count: page.length };
};

// Why the third fix: 1.0.1 answers every page of a read feed (GET .../docs without a query) by running
// "SELECT * FROM c" over a copy of every document of the container and slicing the result, so one page costs as much
// as the whole container: a scan of 128,000 documents in pages of 2,000 took over a minute a page on this machine.
// And a replace re-inserts the document, so a document written during a scan would be read again. Cosmos DB reads a
// feed page from where the last one stopped, in an order a replace does not change. We do the same: each document
// keeps the place of its first write (a replace keeps its _rid, hence its place), and the continuation names the
// place of the last document given. Each document present for the whole scan is given once.
const placeOf = new Map();
let places = 0;
const setWithSequence = Documents.prototype._set;
Documents.prototype._set = function (data) {
  if (!placeOf.has(data._rid)) {
    places += 1;
    placeOf.set(data._rid, places);
  }
  return setWithSequence.call(this, data);
};

Documents.prototype.read = function ({ maxItemCount, continuation } = {}) {
  if (!this._parent.read()) return null;
  const size = maxItemCount > 0 ? maxItemCount : Number.MAX_SAFE_INTEGER;
  const after = continuation && Number.isSafeInteger(continuation.afterPlace) ? continuation.afterPlace : 0;
  const next = [];
  for (const rid of this._data.keys()) {
    const place = placeOf.get(rid);
    if (place > after) next.push(place === undefined ? [0, rid] : [place, rid]);
  }
  next.sort((a, b) => a[0] - b[0]);
  const page = next.slice(0, size);
  return {
    result: page.map(([, rid]) => this._data.get(rid).read()),
    continuation: next.length > size ? { afterPlace: page[page.length - 1][0] } : null,
  };
};

// Why the fourth fix: 1.0.1 runs every query over a copy of every document of the container, whatever partition the
// request names, so a single-partition query costs as much as the whole container (the member directory's 64
// partitions made a search of 10,000 members take minutes). Cosmos DB reads only the partition. We do the same for
// the queries this app sends — `SELECT * FROM c WHERE c.<partition key> = @p AND …` — by giving the query engine the
// documents of that partition only; the WHERE clause still applies, so the answer is the same.
const queryAll = Documents.prototype.query;
const singlePartition = /^\s*SELECT\s+\*\s+FROM\s+c\s+WHERE\s+c\.(\w+)\s*=\s*(@\w+)(\s+AND\s|\s*$)/i;
Documents.prototype.query = function (params, options) {
  const match = typeof params.query === "string" ? singlePartition.exec(params.query) : null;
  const path = this._getPartitionKeyPath();
  const parameter = match && (params.parameters || []).find(p => p.name === match[2]);
  if (!match || !parameter || path.length !== 1 || match[1] !== path[0]) return queryAll.call(this, params, options);
  const all = this._data;
  this._data = new Map([...all].filter(([, item]) => item.read()[path[0]] === parameter.value));
  try {
    return queryAll.call(this, params, options);
  } finally {
    this._data = all;
  }
};

// Resource ids that base64 to '/' or '+' (databases 62, 63, 126, 127, …) break the SDK's rid-addressed requests: it
// writes '/' as '-' in the path of `dbs/{rid}/colls/{rid}/pkranges`, which this server does not map back, and answers
// 404 ("stale cache" in the SDK) — a test run creating more than 61 databases failed some app's first query. Such ids
// are skipped: the counter moves past them, so no id is given twice.
const Databases = require("@vercel/cosmosdb-server/lib/account/databases").default;
const ResourceId = require("@vercel/cosmosdb-server/lib/account/resource-id").default;
const databaseRid = Databases.prototype._rid;
const unsafeRid = (id) => {
  const database = databaseRid(id);
  const collections = [1, 2, 3, 4, 5, 6, 7, 8].map((c) => ResourceId.newDocumentCollectionId(database, (c | 0x80000000).toString()).toString());
  return /[/+]/.test(database + collections.join(""));
};
Databases.prototype._rid = function (id) {
  while (unsafeRid(id)) {
    this._ridCount += 1;
    id = this._ridCount;
  }
  return databaseRid.call(this, id);
};

// Why the sixth fix: 1.0.1 answers every write with the whole document. Cosmos DB leaves the body out when the request
// says `Prefer: return=minimal`, which the .NET SDK sends for EnableContentResponseOnWrite = false (this app's client
// default): the server then serialized, and the client received and buffered, a document nobody reads — 6 KB per write
// of a member's account in bench 1. A successful write so asked is answered with its headers (the ETag among them) and
// no body, as Cosmos DB does.
for (const name of ["create-document", "upsert-document", "replace-document", "patch-document"]) {
  const handler = require(`@vercel/cosmosdb-server/lib/handler/${name}`);
  const original = handler.default;
  // Replaced before the routes module is loaded (at the end of this file), like the first fix.
  handler.default = async (account, req, res, params) => {
    const body = await original(account, req, res, params);
    if (!/(^|[;,\s])return=minimal\b/i.test(req.headers.prefer || "") || res.statusCode < 200 || res.statusCode > 299 || !body || !body._etag) {
      return body;
    }
    res.setHeader("etag", body._etag);
    return undefined;
  };
}

// Why the last fix: 1.0.1 answers every request with "Connection: close" unless created with { keepAlive: true }, which
// its CLI never passes. Every SDK request then opened a TCP connection of its own (thousands in TIME_WAIT during a
// benchmark, connection set-up a tenth of the client's CPU), where Cosmos DB's gateway keeps them open. Kept open
// here too, with no idle timeout on the server's side: the client's pool closes idle connections (after a minute),
// so the server never closes one a client is about to reuse.
const server = require("@vercel/cosmosdb-server/lib/index");
const createHttpServer = server.createHttpServer;
server.createHttpServer = (options = {}) => {
  const created = createHttpServer({ ...options, keepAlive: true });
  created.keepAliveTimeout = 0;
  delayRequests(created, latencyMs);
  return created;
};

// Not a fix: --latency-ms N holds every request N ms before the server handles it (a timer, no CPU), as the network
// between an app and Cosmos DB does (a few ms within one region). Here the server answers in well under a millisecond,
// so without it a benchmark measures CPU alone; with it, how many round trips an operation waits for. Taken out of the
// arguments before the server's CLI reads them.
function takeLatencyArgument(argv) {
  const at = argv.indexOf("--latency-ms");
  if (at < 0) return 0;
  const value = Number(argv[at + 1]);
  if (!Number.isInteger(value) || value < 0 || value > 10000) {
    console.error(`--latency-ms takes whole milliseconds 0..10000, not '${argv[at + 1]}'`);
    process.exit(2);
  }
  argv.splice(at, 2);
  return value;
}

function delayRequests(httpServer, milliseconds) {
  if (milliseconds === 0) return;
  const handlers = httpServer.listeners("request");
  httpServer.removeAllListeners("request");
  httpServer.on("request", (request, response) =>
    setTimeout(() => handlers.forEach((handler) => handler.call(httpServer, request, response)), milliseconds));
}

const latencyMs = takeLatencyArgument(process.argv);

require("@vercel/cosmosdb-server/lib/cli.js");
