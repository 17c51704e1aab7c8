// Event Grid wiring for the Event Grid-sourced blob trigger (the only blob trigger source on Flex
// Consumption): a system topic on the storage account here, and per import function a subscription
// (eventgrid-subscription.bicep) that delivers the BlobCreated events of its folder of the `imports`
// container to the Functions blob extension webhook of that function.
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

output systemTopicName string = systemTopic.name
