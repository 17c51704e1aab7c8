// Key Vault for the app's secrets, authorized with Azure RBAC (no access policies).
// The secrets themselves are NOT in Bicep (no secret values in templates, parameter files or deployment
// history). An operator sets them once per environment, e.g.
//   az keyvault secret set --vault-name <kv> --name paypal-client-secret --value <secret>
// (see infra-bicep/README.md). The app reads them through Key Vault references in its app settings,
// resolved by the platform with the app's managed identity (Key Vault Secrets User, rbac.bicep).

import { resourceTags } from 'types.bicep'

@description('Key Vault name (3-24 letters, digits, hyphens).')
@minLength(3)
@maxLength(24)
param name string

@description('Azure region.')
param location string

@description('Tags applied to the vault.')
param tags resourceTags

@description('Purge protection (prod): a deleted vault or secret cannot be purged before the retention period ends. Cannot be turned off once on.')
param enablePurgeProtection bool = false

@description('Days a deleted vault or secret is kept (soft delete).')
@minValue(7)
@maxValue(90)
param softDeleteRetentionInDays int = 90

resource vault 'Microsoft.KeyVault/vaults@2025-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: softDeleteRetentionInDays
    // ARM rejects an explicit `false` here; leaving the property out means "off".
    enablePurgeProtection: enablePurgeProtection ? true : null
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

output name string = vault.name
output uri string = vault.properties.vaultUri
