#!/usr/bin/env node
// Starts the pinned @vercel/cosmosdb-server with one compatibility fix, then hands over to its own CLI
// (same arguments: --port N --host H [--no-ssl]).
//
// Why the fix: in version 1.0.1 a point read (GET .../docs/{id}) of a document that does not exist
// answers 500 "Cannot read properties of undefined" instead of 404, because the handler compares the
// partition key fields of the document before checking that it exists. Real Cosmos DB answers 404,
// and application code relies on that ("read, and create when not found"). Delete, replace and patch
// already answer 404 and are left alone.
"use strict";

const readDocument = require("@vercel/cosmosdb-server/lib/handler/read-document");
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

require("@vercel/cosmosdb-server/lib/cli.js");
