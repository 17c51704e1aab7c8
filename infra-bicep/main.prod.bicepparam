// Production environment: autoscale Cosmos DB throughput, zone-redundant storage, purge protection.
using 'main.bicep'

param environmentName = 'points-prod'
param cosmosCapacityMode = 'autoscale'
param autoscaleMaxThroughput = 4000
param programTimeZone = 'Asia/Tokyo'
param storageSkuName = 'Standard_ZRS'
param payPalBaseUrl = 'https://api-m.paypal.com'
param payPalClientId = readEnvironmentVariable('PAYPAL_CLIENT_ID', '')
param payPalWebhookId = readEnvironmentVariable('PAYPAL_WEBHOOK_ID', '')
param keyVaultPurgeProtection = true

// Second deployment only (see modules/eventgrid.bicep): export BLOBS_EXTENSION_KEY first.
param blobsExtensionKey = readEnvironmentVariable('BLOBS_EXTENSION_KEY', '')
