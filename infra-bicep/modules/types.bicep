// Types shared by main.bicep and the modules.

@export()
@description('Resource tags (name -> value).')
type resourceTags = {
  *: string
}

@export()
@description('One Cosmos DB container: its name, partition key and the only paths that are indexed.')
type cosmosContainer = {
  @description('Container name, exactly as the app uses it.')
  name: string

  @description('Partition key path, e.g. /memberId.')
  partitionKeyPath: string

  @description('Paths the app filters on (e.g. /docType/?). Everything else is excluded from indexing (/*).')
  indexedPaths: string[]
}
