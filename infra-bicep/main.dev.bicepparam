// Development environment: serverless Cosmos DB, locally redundant storage, no purge protection.
using 'main.bicep'

param environmentName = 'points-dev'
param cosmosCapacityMode = 'serverless'
param programTimeZone = 'Asia/Tokyo'
param storageSkuName = 'Standard_LRS'
param payPalBaseUrl = 'https://api-m.sandbox.paypal.com'
param payPalClientId = readEnvironmentVariable('PAYPAL_CLIENT_ID', '')
param payPalWebhookId = readEnvironmentVariable('PAYPAL_WEBHOOK_ID', '')
param keyVaultPurgeProtection = false

// Second deployment only (see modules/eventgrid.bicep): export BLOBS_EXTENSION_KEY first.
param blobsExtensionKey = readEnvironmentVariable('BLOBS_EXTENSION_KEY', '')
