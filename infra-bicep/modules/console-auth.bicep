// Sign-in to the admin console (/console) with Microsoft Entra ID through App Service Authentication.
//
// The platform signs operators in and hands the app their principal in X-MS-CLIENT-PRINCIPAL; the app trusts that
// header only when this authentication is on (WEBSITE_AUTH_ENABLED), and admits an operator by object id
// (Console__AdminObjectIds) or app role (Console__AdminRole), set in appsettings.bicep.
//
// Unauthenticated requests are let through (AllowAnonymous): partners call /api with API keys and PayPal posts its
// webhooks without a sign-in; the console itself sends a signed-out operator to /.auth/login/aad.

@description('Name of the existing function app.')
param functionAppName string

@description('Application (client) id of the console\'s Entra app registration.')
param clientId string

@description('Directory (tenant) id the operators sign in to.')
param tenantId string = tenant().tenantId

@description('App setting that holds the registration\'s client secret (a Key Vault reference, see appsettings.bicep).')
#disable-next-line secure-secrets-in-params // the name of an app setting, not a secret
param clientSecretSettingName string

resource functionApp 'Microsoft.Web/sites@2025-03-01' existing = {
  name: functionAppName
}

resource authSettings 'Microsoft.Web/sites/config@2025-03-01' = {
  parent: functionApp
  name: 'authsettingsV2'
  properties: {
    platform: {
      enabled: true
    }
    globalValidation: {
      requireAuthentication: false
      unauthenticatedClientAction: 'AllowAnonymous'
    }
    httpSettings: {
      requireHttps: true
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          openIdIssuer: '${environment().authentication.loginEndpoint}${tenantId}/v2.0'
          clientId: clientId
          clientSecretSettingName: clientSecretSettingName
        }
        validation: {
          allowedAudiences: [
            'api://${clientId}'
          ]
        }
      }
    }
    login: {
      tokenStore: {
        enabled: true
      }
    }
  }
}
