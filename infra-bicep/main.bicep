// Points: Azure resources for the loyalty points ledger (Azure Functions custom handler on Linux
// Flex Consumption, Cosmos DB for NoSQL, Blob/Queue storage, Key Vault, Application Insights, Event Grid).
// Deploy into an existing resource group; see README.md next to this file.
// All names are derived from the environment name with uniqueString, prefixed with the usual Azure
// abbreviations (abbreviations.json). No keys or secrets: the app uses its managed identity everywhere.

targetScope = 'resourceGroup'

import { cosmosContainer, resourceTags } from 'modules/types.bicep'

@minLength(1)
@maxLength(64)
@description('Name of the environment (e.g. points-dev). Used in tags and to derive unique resource names.')
param environmentName string

@minLength(1)
@description('Azure region for all resources. Defaults to the resource group\'s region.')
param location string = resourceGroup().location

@allowed([
  'serverless'
  'autoscale'
])
@description('Cosmos DB capacity: serverless (dev, pay per request) or autoscale throughput shared at database level (prod). Fixed once the account exists.')
param cosmosCapacityMode string = 'serverless'

@minValue(1000)
@description('Autoscale maximum RU/s for the Cosmos DB database (only when cosmosCapacityMode is autoscale; scales between 10% and 100% of it).')
param autoscaleMaxThroughput int = 1000

@description('IANA time zone of the points programme: business dates, expiry and the daily jobs use it.')
param programTimeZone string = 'Asia/Tokyo'

@description('PayPal REST API: sandbox (https://api-m.sandbox.paypal.com) or live (https://api-m.paypal.com).')
@allowed([
  'https://api-m.sandbox.paypal.com'
  'https://api-m.paypal.com'
])
param payPalBaseUrl string = 'https://api-m.sandbox.paypal.com'

@description('PayPal REST app client id (not a secret; the secret is in Key Vault). Empty: purchases cannot be offered.')
param payPalClientId string = ''

@description('Id of the PayPal webhook that sends to /api/v1/webhooks/paypal (signed into every delivery). Empty: webhooks are refused.')
param payPalWebhookId string = ''

@allowed([
  'Standard_LRS'
  'Standard_ZRS'
])
@description('Storage replication: Standard_LRS for dev, Standard_ZRS for prod.')
param storageSkuName string = 'Standard_LRS'

@description('Key Vault purge protection (turn on for prod; it cannot be turned off again).')
param keyVaultPurgeProtection bool = false

@allowed([
  512
  2048
  4096
])
@description('Memory per function app instance, in MB.')
param instanceMemoryMB int = 2048

@minValue(40)
@maxValue(1000)
@description('Maximum number of function app instances.')
param maximumInstanceCount int = 100

@secure()
@description('Application (client) id of the admin console\'s Entra app registration. Empty: no Entra sign-in, and the console admits nobody in Azure (the development key is refused there).')
param consoleClientId string = ''

@description('Object ids of the operators admitted to the admin console (comma-separated), besides holders of the app role below.')
param consoleAdminObjectIds string = ''

@description('App role of the console\'s registration that admits an operator.')
param consoleAdminRole string = 'Points.Admin'

@description('The function app\'s `blobs_extension` system key. Leave empty on the first deployment; the Event Grid subscriptions of the import folders are created only when it is set (see modules/eventgrid.bicep).')
param blobsExtensionKey string = ''

var abbrs = loadJsonContent('abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, resourceGroup().id, environmentName, location))
var tags resourceTags = {
  'azd-env-name': environmentName
  application: 'points'
}

// ---------------------------------------------------------------------------------------------------
// Names the app relies on. Each list is kept here, once, so it can be compared with the app's own list
// (a test reads them from the compiled artifacts/bicep/main.json).
// ---------------------------------------------------------------------------------------------------

var cosmosDatabaseName = 'points'

// Cosmos DB containers: partition key and the only indexed paths (everything else is excluded).
var cosmosContainers cosmosContainer[] = [
  {
    name: 'ledger'
    partitionKeyPath: '/memberId'
    indexedPaths: [
      '/docType/?'
      '/references/[]/?'
      // Spilled idempotency records are found by key in their spill page.
      '/keys/[]/?'
    ]
  }
  {
    // Small index documents (e.g. members due on a date), read by partition; and the member directory
    // (partitions directory|0..63), searched within each partition by these fields.
    name: 'indexes'
    partitionKeyPath: '/pk'
    indexedPaths: [
      '/pk/?'
      '/docType/?'
      '/memberId/?'
      '/tags/[]/?'
      '/rank/?'
      '/storeId/?'
      '/joinedOn/?'
    ]
  }
  {
    name: 'config'
    partitionKeyPath: '/pk'
    indexedPaths: [
      '/docType/?'
      // Rules and campaigns are read without the deleted ones (EarningConfigStore).
      '/deleted/?'
    ]
  }
  {
    name: 'jobs'
    partitionKeyPath: '/pk'
    indexedPaths: [
      '/docType/?'
    ]
  }
  {
    // Outbound webhooks: per subscription and member the stream of events still to deliver (pk stream|{sub}|{member}),
    // and per subscription and day the delivery log (pk log|{sub}|{yyyy-MM-dd}; items carry their own ttl).
    name: 'webhooks'
    partitionKeyPath: '/pk'
    indexedPaths: [
      '/pk/?'
      '/occurredAt/?'
    ]
  }
  {
    // Leases of the change-feed trigger DispatchOutbox (the Cosmos DB extension requires /id as partition key);
    // its processor queries them, so they keep the default full index.
    name: 'leases'
    partitionKeyPath: '/id'
    indexedPaths: [
      '/*'
    ]
  }
]

// Blob containers (literal names so the compiled list is plain data).
var blobContainerNames = [
  'imports' // CSV imports; new blobs trigger the import of their folder through Event Grid
  'results' // per-import result files
  'exports' // admin exports, Zengin files
  'deploymentpackage' // Flex Consumption deployment package
  'azure-webjobs-hosts' // Functions host: keys, locks, blob receipts
]
// Two of them are also referenced by role; both must be in the list above.
var importsContainerName = 'imports'
var deploymentContainerName = 'deploymentpackage'

var queueNames = [
  'ledger-jobs' // fan-out shards of the daily/bulk jobs
  'ledger-jobs-poison' // messages that failed 5 times
  'webhooks' // one message per (subscription, member) stream with events to deliver (SendWebhooks)
  'webhooks-poison' // messages that failed 5 times
  'webjobs-blobtrigger-poison' // blobs whose trigger failed 5 times
]

// Key Vault secrets the app reads (values are set by an operator, see README.md).
var secretNames = {
  payPalClientSecret: 'paypal-client-secret'
  bankDataEncryptionKey: 'bank-data-encryption-key'
  apiKeyHashes: 'api-key-hashes'
  qrSigningKey: 'qr-signing-key'
  consoleClientSecret: 'console-client-secret'
}

// The app setting App Service Authentication reads the console registration's client secret from (a Key Vault reference).
var consoleClientSecretSettingName = 'MICROSOFT_PROVIDER_AUTHENTICATION_SECRET'

// The Event Grid-sourced blob trigger functions and the folder of `imports` each watches
// (functions/declarations/<name>/function.json; a test checks the two lists agree).
var importFunctions = [
  { name: 'ImportAdjustments', folder: 'adjustments' }
  { name: 'ImportWithdrawals', folder: 'withdrawals' }
  { name: 'ImportExportRequests', folder: 'exports' }
  { name: 'ImportMembers', folder: 'members' }
  { name: 'ImportMigration', folder: 'migration' }
  { name: 'ImportPurchaseHistory', folder: 'purchases' }
]

// ---------------------------------------------------------------------------------------------------
// Resources
// ---------------------------------------------------------------------------------------------------

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    logAnalyticsName: '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
    applicationInsightsName: '${abbrs.insightsComponents}${resourceToken}'
    location: location
    tags: tags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    name: '${abbrs.storageStorageAccounts}${resourceToken}'
    location: location
    tags: tags
    skuName: storageSkuName
    containerNames: blobContainerNames
    queueNames: queueNames
  }
}

module cosmos 'modules/cosmos.bicep' = {
  name: 'cosmos'
  params: {
    name: '${abbrs.documentDBDatabaseAccounts}${resourceToken}'
    location: location
    tags: tags
    capacityMode: cosmosCapacityMode
    autoscaleMaxThroughput: autoscaleMaxThroughput
    databaseName: cosmosDatabaseName
    containers: cosmosContainers
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    name: '${abbrs.keyVaultVaults}${resourceToken}'
    location: location
    tags: tags
    enablePurgeProtection: keyVaultPurgeProtection
  }
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  params: {
    name: '${abbrs.webSitesFunctions}${resourceToken}'
    planName: '${abbrs.webServerFarms}${resourceToken}'
    location: location
    tags: tags
    storageBlobEndpoint: storage.outputs.primaryBlobEndpoint
    deploymentContainerName: deploymentContainerName
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
  }
}

module rbac 'modules/rbac.bicep' = {
  name: 'rbac'
  params: {
    principalId: functionApp.outputs.principalId
    storageAccountName: storage.outputs.name
    cosmosAccountName: cosmos.outputs.name
    cosmosDatabaseName: cosmos.outputs.databaseName
    keyVaultName: keyVault.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
  }
}

module appSettings 'modules/appsettings.bicep' = {
  name: 'appsettings'
  params: {
    functionAppName: functionApp.outputs.name
    storageAccountName: storage.outputs.name
    storageBlobEndpoint: storage.outputs.primaryBlobEndpoint
    storageQueueEndpoint: storage.outputs.primaryQueueEndpoint
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    cosmosEndpoint: cosmos.outputs.endpoint
    cosmosDatabaseName: cosmos.outputs.databaseName
    keyVaultUri: keyVault.outputs.uri
    programTimeZone: programTimeZone
    payPal: {
      baseUrl: payPalBaseUrl
      clientId: payPalClientId
      webhookId: payPalWebhookId
    }
    secretNames: secretNames
    console: {
      adminObjectIds: consoleAdminObjectIds
      adminRole: consoleAdminRole
      entraSignIn: !empty(consoleClientId)
    }
  }
  // Roles first: the host and the Key Vault references need them as soon as the settings are applied.
  dependsOn: [
    rbac
  ]
}

module consoleAuth 'modules/console-auth.bicep' = if (!empty(consoleClientId)) {
  name: 'console-auth'
  params: {
    functionAppName: functionApp.outputs.name
    clientId: consoleClientId
    clientSecretSettingName: consoleClientSecretSettingName
  }
  dependsOn: [
    appSettings
  ]
}

module eventGrid 'modules/eventgrid.bicep' = {
  name: 'eventgrid'
  params: {
    systemTopicName: '${abbrs.eventGridSystemTopics}${resourceToken}'
    location: location
    tags: tags
    storageAccountName: storage.outputs.name
  }
}

module importSubscriptions 'modules/eventgrid-subscription.bicep' = [
  for function in importFunctions: if (!empty(blobsExtensionKey)) {
    name: 'eventgrid-${toLower(function.name)}'
    params: {
      systemTopicName: eventGrid.outputs.systemTopicName
      functionName: function.name
      containerName: importsContainerName
      folder: function.folder
      // The Functions blob extension webhook for the Event Grid-sourced blob trigger. Passed as a secure
      // module parameter because it carries the blobs_extension key.
      webhookEndpointUrl: 'https://${functionApp.outputs.defaultHostName}/runtime/webhooks/blobs?functionName=Host.Functions.${function.name}&code=${blobsExtensionKey}'
    }
    // The webhook is validated on creation: the app must be fully configured.
    dependsOn: [
      appSettings
    ]
  }
]

// ---------------------------------------------------------------------------------------------------
// Outputs
// ---------------------------------------------------------------------------------------------------

output functionAppName string = functionApp.outputs.name
output functionAppDefaultHostName string = functionApp.outputs.defaultHostName
output storageAccountName string = storage.outputs.name
output cosmosEndpoint string = cosmos.outputs.endpoint
output keyVaultName string = keyVault.outputs.name
output eventGridSystemTopicName string = eventGrid.outputs.systemTopicName
