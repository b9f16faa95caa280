package edge

// OutboundLane is the lane the replies of a conversation go through.
func OutboundLane(n *Node, tenant, conversation string) int {
	return n.outLanes.lane(tenant + "\x00" + conversation)
}

// InboundQueued is how many shopper messages wait for an inbound worker.
func InboundQueued(n *Node) int { return n.inPool.queued() }
