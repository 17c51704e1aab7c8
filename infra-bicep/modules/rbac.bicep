// Every role assignment of the function app's system-assigned managed identity, least privilege, each
// scoped to the one resource it is needed on.
//
// | Role                                   | Scope              | Why                                              |
// | Storage Blob Data Owner                | storage account    | Functions host storage (AzureWebJobsStorage)     |
// | Storage Queue Data Contributor         | storage account    | ledger-jobs queues, blob-trigger poison queue    |
// | Cosmos DB Built-in Data Contributor    | database `points`  | read/write items (data plane only)               |
// | Key Vault Secrets User                 | key vault          | resolve the Key Vault references                 |
// | Monitoring Metrics Publisher           | Application Insights | telemetry with Entra auth (local auth is off)  |
//
// Storage Blob Data Owner rather than Blob Data Contributor: Microsoft documents Owner as the role that
// covers the Functions host's use of AzureWebJobsStorage (keys, timer/singleton locks, blob receipts,
// creating its own containers) and the blob trigger; Contributor is not a documented configuration for
// host storage, so we do not rely on it. The same identity also reads/writes the app's own containers
// (imports, results, exports) and the deployment package container, which Owner covers.
// Not granted: Storage Account Contributor, which the docs list for the *polling* blob trigger (it
// configures storage analytics logging). The app uses the Event Grid source only (required on Flex).

@description('Principal (object) id of the function app\'s system-assigned managed identity.')
param principalId string

@description('Storage account name.')
param storageAccountName string

@description('Cosmos DB account name.')
param cosmosAccountName string

@description('Cosmos DB database the data role is scoped to.')
param cosmosDatabaseName string

@description('Key Vault name.')
param keyVaultName string

@description('Application Insights component name.')
param applicationInsightsName string

// Built-in Azure RBAC role definition ids (same in every tenant).
var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b' // Storage Blob Data Owner
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88' // Storage Queue Data Contributor
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6' // Key Vault Secrets User
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb' // Monitoring Metrics Publisher
}

// Cosmos DB data-plane built-in role (a Cosmos sqlRoleDefinition, not an Azure RBAC role).
var cosmosDataContributorRoleId = '00000000-0000-0000-0000-000000000002' // Cosmos DB Built-in Data Contributor

resource storage 'Microsoft.Storage/storageAccounts@2025-06-01' existing = {
  name: storageAccountName
}

resource cosmos 'Microsoft.DocumentDB/databaseAccounts@2025-10-15' existing = {
  name: cosmosAccountName
}

resource cosmosDataContributor 'Microsoft.DocumentDB/databaseAccounts/sqlRoleDefinitions@2025-10-15' existing = {
  parent: cosmos
  name: cosmosDataContributorRoleId
}

resource keyVault 'Microsoft.KeyVault/vaults@2025-05-01' existing = {
  name: keyVaultName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource storageBlobDataOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, principalId, roles.storageBlobDataOwner)
  scope: storage
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
  }
}

resource storageQueueDataContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, principalId, roles.storageQueueDataContributor)
  scope: storage
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId(
      'Microsoft.Authorization/roleDefinitions',
      roles.storageQueueDataContributor
    )
  }
}

resource keyVaultSecretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(keyVault.id, principalId, roles.keyVaultSecretsUser)
  scope: keyVault
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
  }
}

resource monitoringMetricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, principalId, roles.monitoringMetricsPublisher)
  scope: applicationInsights
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId(
      'Microsoft.Authorization/roleDefinitions',
      roles.monitoringMetricsPublisher
    )
  }
}

resource cosmosDataContributorAssignment 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments@2025-10-15' = {
  parent: cosmos
  name: guid(cosmos.id, principalId, cosmosDataContributorRoleId)
  properties: {
    principalId: principalId
    roleDefinitionId: cosmosDataContributor.id
    // Data-plane scope syntax: <account id>/dbs/<database>.
    scope: '${cosmos.id}/dbs/${cosmosDatabaseName}'
  }
}
