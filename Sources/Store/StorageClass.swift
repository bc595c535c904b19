/// S3's storage classes as Lockstep models them: each keeps the bytes the same; the archive classes make them
/// unreadable until restored.
public enum StorageClass {
    /// The order lifecycle transitions go in (S3's "waterfall"): an object only ever moves to a colder class.
    public static func coldness(_ storageClass: String) -> Int {
        switch storageClass {
        case "STANDARD_IA": return 1
        case "INTELLIGENT_TIERING": return 2
        case "ONEZONE_IA": return 3
        case "GLACIER_IR": return 4
        case "GLACIER": return 5
        case "DEEP_ARCHIVE": return 6
        default: return 0  // STANDARD, REDUCED_REDUNDANCY, EXPRESS_ONEZONE
        }
    }

    /// Classes whose objects must be restored before GET.
    public static func isArchive(_ storageClass: String) -> Bool {
        storageClass == "GLACIER" || storageClass == "DEEP_ARCHIVE"
    }
}
