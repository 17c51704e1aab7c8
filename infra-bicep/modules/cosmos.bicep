// Cosmos DB for NoSQL: account, the `points` database and its containers.
// - disableLocalAuth: no account keys; the app authenticates with its managed identity and the
//   Cosmos DB Built-in Data Contributor data-plane role (rbac.bicep). That role cannot create databases or
//   containers, so they are created here, by ARM, and the app must not try to create them in Azure.
// - Capacity: 'serverless' (dev, spiky/low traffic, pay per RU) or 'autoscale' throughput shared by all
//   containers at database level (prod). Serverless is an account capability fixed at creation.
// - Indexing: only the paths the code filters on are indexed (everything else excluded with /*), which
//   keeps the RU cost of every write low. Point reads and read/change feed need no index. The leases
//   container of the change-feed trigger keeps a full index (its processor queries it).

import { cosmosContainer, resourceTags } from 'types.bicep'

@description('Cosmos DB account name (3-44 lowercase letters, digits, hyphens).')
@minLength(3)
@maxLength(44)
param name string

@description('Azure region (single-region account).')
param location string

@description('Tags applied to the account.')
param tags resourceTags

@description('serverless: pay per request unit; autoscale: database-level autoscale throughput.')
@allowed([
  'serverless'
  'autoscale'
])
param capacityMode string

@description('Autoscale maximum RU/s for the database (used only when capacityMode is autoscale).')
@minValue(1000)
param autoscaleMaxThroughput int = 1000

@description('Database name.')
param databaseName string

@description('Containers to create in the database.')
param containers cosmosContainer[]

resource account 'Microsoft.DocumentDB/databaseAccounts@2025-10-15' = {
  name: name
  location: location
  tags: tags
  kind: 'GlobalDocumentDB'
  properties: {
    databaseAccountOfferType: 'Standard'
    consistencyPolicy: {
      defaultConsistencyLevel: 'Session'
    }
    locations: [
      {
        locationName: location
        failoverPriority: 0
        isZoneRedundant: false
      }
    ]
    capabilities: capacityMode == 'serverless' ? [{ name: 'EnableServerless' }] : []
    disableLocalAuth: true
    disableKeyBasedMetadataWriteAccess: true
    minimalTlsVersion: 'Tls12'
    publicNetworkAccess: 'Enabled'
  }
}

resource database 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases@2025-10-15' = {
  parent: account
  name: databaseName
  properties: {
    resource: {
      id: databaseName
    }
    options: capacityMode == 'autoscale'
      ? {
          autoscaleSettings: {
            maxThroughput: autoscaleMaxThroughput
          }
        }
      : {}
  }
}

resource sqlContainers 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2025-10-15' = [
  for container in containers: {
    parent: database
    name: container.name
    properties: {
      resource: {
        id: container.name
        // -1: items live forever unless they carry their own `ttl` (spilled idempotency records do).
        defaultTtl: -1
        partitionKey: {
          paths: [
            container.partitionKeyPath
          ]
          kind: 'Hash'
          version: 2
        }
        indexingPolicy: {
          indexingMode: 'consistent'
          automatic: true
          includedPaths: map(container.indexedPaths, path => { path: path })
          // '/*' in indexedPaths means a full index (nothing excluded).
          excludedPaths: contains(container.indexedPaths, '/*')
            ? []
            : [
                {
                  path: '/*'
                }
              ]
        }
      }
    }
  }
]

output name string = account.name
output endpoint string = account.properties.documentEndpoint
output databaseName string = database.name
