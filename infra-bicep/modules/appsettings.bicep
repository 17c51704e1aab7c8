// App settings of the function app. Deployed after rbac.bicep (see main.bicep) so the identity already
// has its roles when the host starts and when the platform resolves the Key Vault references.
//
// Flex Consumption notes: FUNCTIONS_EXTENSION_VERSION and FUNCTIONS_WORKER_RUNTIME are not used on Flex
// (the runtime is functionAppConfig.runtime in functionapp.bicep), and there is no
// WEBSITE_RUN_FROM_PACKAGE / content share: the package comes from functionAppConfig.deployment.
//
// Every connection is identity-based (system-assigned managed identity); no keys or connection strings
// with secrets. The three secrets are Key Vault references (versionless, so a new secret version is
// picked up when the platform refreshes references); their values are set by an operator, never here.

@description('Name of the existing function app.')
param functionAppName string

@description('Name of the storage account (host storage and app data).')
param storageAccountName string

@description('Blob endpoint of the storage account, ending in /.')
param storageBlobEndpoint string

@description('Queue endpoint of the storage account, ending in /.')
param storageQueueEndpoint string

@description('Name of the existing Application Insights component.')
param applicationInsightsName string

@description('Cosmos DB account endpoint (https://<account>.documents.azure.com:443/).')
param cosmosEndpoint string

@description('Cosmos DB database name.')
param cosmosDatabaseName string

@description('Key Vault URI, ending in /.')
param keyVaultUri string

@description('IANA time zone of the loyalty programme (business dates, expiry, daily jobs).')
param programTimeZone string

@description('PayPal REST API origin, app client id and webhook id (none of them secret).')
param payPal {
  baseUrl: string
  clientId: string
  webhookId: string
}

@description('Key Vault secret names, by purpose.')
param secretNames {
  @description('PayPal REST client secret.')
  payPalClientSecret: string
  @description('AES-GCM key (base64) that encrypts bank account numbers.')
  bankDataEncryptionKey: string
  @description('Hashes of the API keys accepted by the API.')
  apiKeyHashes: string
  @description('HMAC key (32+ characters) that signs the in-store QR tokens.')
  qrSigningKey: string
  @description('Client secret of the admin console\'s Entra app registration (used only with Entra sign-in).')
  consoleClientSecret: string
}

@description('The admin console\'s operators: object ids and app role admitted, and whether Entra sign-in is configured (console-auth.bicep).')
param console {
  adminObjectIds: string
  adminRole: string
  entraSignIn: bool
}

resource functionApp 'Microsoft.Web/sites@2025-03-01' existing = {
  name: functionAppName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource appSettings 'Microsoft.Web/sites/config@2025-03-01' = {
  parent: functionApp
  name: 'appsettings'
  properties: union(
    {
      // Functions host storage over the managed identity.
      AzureWebJobsStorage__accountName: storageAccountName
      AzureWebJobsStorage__credential: 'managedidentity'
      AzureWebJobsStorage__blobServiceUri: storageBlobEndpoint
      AzureWebJobsStorage__queueServiceUri: storageQueueEndpoint

      // Telemetry; local auth is disabled on the component, so the host sends with its Entra identity.
      APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsights.properties.ConnectionString
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD'

      // The app's own configuration (ASP.NET Core configuration keys, '__' = ':').
      Cosmos__AccountEndpoint: cosmosEndpoint
      Cosmos__Database: cosmosDatabaseName
      Storage__BlobServiceUri: storageBlobEndpoint
      Storage__QueueServiceUri: storageQueueEndpoint
      Program__TimeZone: programTimeZone
      PayPal__BaseUrl: payPal.baseUrl
      PayPal__ClientId: payPal.clientId
      PayPal__WebhookId: payPal.webhookId

      // Secrets: Key Vault references, resolved by the platform with the app's identity.
      PayPal__ClientSecret: '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/${secretNames.payPalClientSecret})'
      BankData__EncryptionKey: '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/${secretNames.bankDataEncryptionKey})'
      ApiKeys__Hashes: '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/${secretNames.apiKeyHashes})'
      Store__QrSigningKey: '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/${secretNames.qrSigningKey})'

      // The admin console: who may sign in through Entra ID.
      Console__AdminObjectIds: console.adminObjectIds
      Console__AdminRole: console.adminRole
    },
    console.entraSignIn
      ? {
          // Read by App Service Authentication (console-auth.bicep), never by the app.
          MICROSOFT_PROVIDER_AUTHENTICATION_SECRET: '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/${secretNames.consoleClientSecret})'
        }
      : {}
  )
}
