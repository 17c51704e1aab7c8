// Event Grid wiring for the Event Grid-sourced blob trigger (the only blob trigger source on Flex
// Consumption): a system topic on the storage account and a subscription that delivers BlobCreated
// events for the `imports` container to the Functions blob extension webhook of ImportAdjustments.
//
// Two-step deployment: the webhook URL needs the app's `blobs_extension` system key, which exists only
// after the app is deployed and its code (with the Event Grid blob trigger) has started; Event Grid also
// validates the endpoint when the subscription is created, which only a running app can answer.
//   1. Deploy with main.bicep's blobsExtensionKey empty (the default): the topic is created, the
//      subscription is not.
//   2. Publish the app code, read the key
//        az functionapp keys list -g <rg> -n <app> --query systemKeys.blobs_extension -o tsv
//      and deploy again with it (the .bicepparam files read it from BLOBS_EXTENSION_KEY).

import { resourceTags } from 'types.bicep'

@description('Event Grid system topic name.')
param systemTopicName string

@description('Azure region (the storage account\'s region).')
param location string

@description('Tags applied to the topic.')
param tags resourceTags

@description('Name of the storage account whose events are published.')
param storageAccountName string

@description('Name of the Event Grid-sourced blob trigger function (used to name the subscription).')
param functionName string

@description('Container whose new blobs trigger the function.')
param containerName string

@secure()
@description('Blob extension webhook of the function, including the blobs_extension system key: https://<host>/runtime/webhooks/blobs?functionName=Host.Functions.<name>&code=<key> (built in main.bicep). Empty: the subscription is not created (first deployment).')
param webhookEndpointUrl string = ''

resource storage 'Microsoft.Storage/storageAccounts@2025-06-01' existing = {
  name: storageAccountName
}

resource systemTopic 'Microsoft.EventGrid/systemTopics@2025-02-15' = {
  name: systemTopicName
  location: location
  tags: tags
  properties: {
    source: storage.id
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

resource blobCreatedSubscription 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = if (!empty(webhookEndpointUrl)) {
  parent: systemTopic
  name: '${toLower(functionName)}-blob-created'
  properties: {
    destination: {
      endpointType: 'WebHook'
      properties: {
        endpointUrl: webhookEndpointUrl
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    eventDeliverySchema: 'EventGridSchema'
    filter: {
      includedEventTypes: [
        'Microsoft.Storage.BlobCreated'
      ]
      subjectBeginsWith: '/blobServices/default/containers/${containerName}/'
    }
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
  }
}

output systemTopicName string = systemTopic.name
