package edge

// OutboundLane is the lane the replies of a conversation go through.
func OutboundLane(n *Node, tenant, conversation string) int {
	return n.outLanes.lane(tenant + "\x00" + conversation)
}
