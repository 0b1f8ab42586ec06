namespace Exchange.Core.Journal;

/// <summary>A snapshot file, <c>snapshot-&lt;sequence&gt;.bin</c>, holding the state after command <paramref name="Sequence"/>.</summary>
public readonly record struct SnapshotFile(long Sequence, string Path);
