import LockstepXML

/// Parses a test document as the front door parses a request body.
func corsXML(_ text: String) throws -> XMLNode {
    try LockstepXML.XMLParser.parse(Array(text.utf8))
}
