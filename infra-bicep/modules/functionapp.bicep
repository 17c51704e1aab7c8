// The Points function app: a Linux Azure Functions app on the Flex Consumption plan (FC1).
//
// Why Flex Consumption:
// - The app is an Azure Functions custom handler (a self-contained ASP.NET Core program the Functions
//   host talks to over HTTP). Flex Consumption has a `custom` runtime stack
//   (functionAppConfig.runtime = { name: 'custom', version: '1.0' }); see
//   ../shared/notes/functions-and-paypal-facts.md section 1.13.
// - Linux Consumption (Y1) retires on 2028-09-30 and gets no new features; Flex is its successor.
// - Flex scales out per function group up to maximumInstanceCount, and supports VNet integration and
//   always-ready instances if later needed, while still billing per execution.
// Consequences handled elsewhere: on Flex a blob trigger must use the Event Grid source (eventgrid.bicep),
// the deployment package lives in a blob container, and there are no deployment slots.
//
// App settings are NOT set here but in appsettings.bicep, which main.bicep deploys after the role
// assignments, so that the host and the Key Vault references find their permissions on first start.

import { resourceTags } from 'types.bicep'

@description('Function app name.')
param name string

@description('Flex Consumption plan name.')
param planName string

@description('Azure region.')
param location string

@description('Tags applied to the plan and the app.')
param tags resourceTags

@description('Blob endpoint of the storage account that holds the deployment package, ending in /.')
param storageBlobEndpoint string

@description('Blob container the deployment package is uploaded to.')
param deploymentContainerName string

@description('Memory per instance, in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Upper limit of instances the app scales out to.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

resource plan 'Microsoft.Web/serverfarms@2025-03-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true // Linux
  }
}

resource functionApp 'Microsoft.Web/sites@2025-03-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientAffinityEnabled: false
    publicNetworkAccess: 'Enabled' // PayPal webhooks and API clients call it from the internet.
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storageBlobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'SystemAssignedIdentity'
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      runtime: {
        name: 'custom'
        version: '1.0'
      }
    }
  }
}

// No publishing with user names and passwords: FTP and the SCM (Kudu) basic-auth endpoints are off.
// Deploy with Microsoft Entra credentials (`func azure functionapp publish`, az CLI).
resource ftpBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2025-03-01' = {
  parent: functionApp
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2025-03-01' = {
  parent: functionApp
  name: 'scm'
  properties: {
    allow: false
  }
}

output name string = functionApp.name
output defaultHostName string = functionApp.properties.defaultHostName
output principalId string = functionApp.identity.principalId
