// One Event Grid subscription of the storage account's system topic (eventgrid.bicep): BlobCreated events
// of one folder of the imports container, delivered to the blob extension webhook of the function that
// imports that folder. Created on the second deployment only (see eventgrid.bicep).

@description('Event Grid system topic name.')
param systemTopicName string

@description('Name of the Event Grid-sourced blob trigger function (used to name the subscription).')
param functionName string

@description('Container whose new blobs trigger the function.')
param containerName string

@description('Folder of the container the function watches (its function.json path: <container>/<folder>/{name}).')
param folder string

@secure()
@description('Blob extension webhook of the function, including the blobs_extension system key: https://<host>/runtime/webhooks/blobs?functionName=Host.Functions.<name>&code=<key> (built in main.bicep).')
param webhookEndpointUrl string

resource systemTopic 'Microsoft.EventGrid/systemTopics@2025-02-15' existing = {
  name: systemTopicName
}

resource blobCreatedSubscription 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = {
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
      subjectBeginsWith: '/blobServices/default/containers/${containerName}/blobs/${folder}/'
    }
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
  }
}
