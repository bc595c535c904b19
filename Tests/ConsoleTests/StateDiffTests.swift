@testable import Console
import Foundation
import Testing

@Suite struct StateDiffTests {
    func state(_ json: String) throws -> TerraformState {
        try #require(TerraformState(bytes: Array(json.utf8)))
    }

    @Test func addressesFollowTerraformsSyntax() throws {
        let parsed = try state("""
            {"version": 4, "terraform_version": "1.11.0", "serial": 7, "lineage": "L", "outputs": {}, "resources": [
              {"mode": "managed", "type": "aws_s3_bucket", "name": "b", "instances": [{"attributes": {"id": "x"}}]},
              {"module": "module.net", "mode": "managed", "type": "aws_subnet", "name": "s",
               "instances": [{"index_key": "a", "attributes": {}}, {"index_key": "b", "attributes": {}}]},
              {"mode": "data", "type": "aws_caller_identity", "name": "me", "instances": [{"attributes": {}}]},
              {"mode": "managed", "type": "null_resource", "name": "n", "instances": [{"index_key": 0, "attributes": {}}, {"index_key": 1, "attributes": {}}]}
            ]}
            """)
        #expect(parsed.serial == 7 && parsed.lineage == "L" && parsed.terraformVersion == "1.11.0" && parsed.version == 4)
        #expect(Set(parsed.instances.keys) == ["aws_s3_bucket.b", "module.net.aws_subnet.s[\"a\"]", "module.net.aws_subnet.s[\"b\"]",
                                               "data.aws_caller_identity.me", "null_resource.n[0]", "null_resource.n[1]"])
    }

    @Test func diffSortsAddedRemovedAndChanged() throws {
        let old = try state("""
            {"serial": 1, "outputs": {"a": {"value": 1}, "gone": {"value": "x"}}, "resources": [
              {"mode": "managed", "type": "t", "name": "kept", "instances": [{"attributes": {"id": "1", "tags": {"b": 1, "a": 2}}}]},
              {"mode": "managed", "type": "t", "name": "edited", "instances": [{"attributes": {"id": "1"}}]},
              {"mode": "managed", "type": "t", "name": "dropped", "instances": [{"attributes": {}}]}]}
            """)
        let new = try state("""
            {"serial": 2, "outputs": {"a": {"value": 2}, "new": {"value": [1]}}, "resources": [
              {"mode": "managed", "type": "t", "name": "kept", "instances": [{"attributes": {"tags": {"a": 2, "b": 1}, "id": "1"}}]},
              {"mode": "managed", "type": "t", "name": "edited", "instances": [{"attributes": {"id": "2"}}]},
              {"mode": "managed", "type": "t", "name": "fresh", "instances": [{"attributes": {}}]}]}
            """)
        let diff = StateDiff(from: old, to: new)
        #expect(diff.added == ["t.fresh"])
        #expect(diff.removed == ["t.dropped"])
        // Key order inside attributes is not a change.
        #expect(diff.changed == ["t.edited"])
        #expect(diff.outputsAdded == ["new"] && diff.outputsRemoved == ["gone"])
        #expect(diff.outputsChanged == [StateDiff.OutputChange(name: "a", from: "1", to: "2")])
        #expect(StateDiff(from: new, to: new).isEmpty)
    }

    @Test func sensitiveOutputsAreNeverRead() throws {
        let old = try state(#"{"outputs": {"password": {"value": "hunter2", "sensitive": true}, "p2": {"value": "x"}}}"#)
        let new = try state(#"{"outputs": {"password": {"value": "rotated-secret-value", "sensitive": true}, "p2": {"value": "y", "sensitive": true}}}"#)
        let diff = StateDiff(from: old, to: new)
        #expect(!String(describing: diff).contains("hunter2") && !String(describing: diff).contains("rotated-secret-value"))
        #expect(diff.outputsChanged == [StateDiff.OutputChange(name: "p2", from: "\"x\"", to: nil)])
    }

    @Test func notAStateIsNil() {
        #expect(TerraformState(bytes: Array("not json".utf8)) == nil)
        #expect(TerraformState(bytes: Array("[1,2]".utf8)) == nil)
        #expect(TerraformLockInfo(bytes: Array("{".utf8)) == nil)
    }

    @Test func lockInfoFields() throws {
        let info = try #require(TerraformLockInfo(bytes: Array("""
            {"ID":"i","Operation":"OperationTypeApply","Info":"","Who":"me@host","Version":"1.11.0","Created":"2026-12-05T10:00:00.5Z","Path":"b/k"}
            """.utf8)))
        #expect(info.id == "i" && info.who == "me@host" && info.operation == "OperationTypeApply" && info.path == "b/k")
    }

    @Test func lockCreatedTimesWithNanoseconds() {
        #expect(StatePage.parseCreated("2026-12-05T10:00:00.123456789Z") == 1_796_464_800_123)
        #expect(StatePage.parseCreated("2026-12-05T10:00:00Z") == 1_796_464_800_000)
        #expect(StatePage.parseCreated("2026-12-05T11:00:00.5+01:00") == 1_796_464_800_500)
        #expect(StatePage.parseCreated("yesterday") == nil)
    }
}
