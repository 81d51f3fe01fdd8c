"""finstack's ComponentResources and the pure planning logic they stand on."""
