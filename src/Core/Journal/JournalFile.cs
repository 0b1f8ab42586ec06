using System.Globalization;

namespace Exchange.Core.Journal;

/// <summary>
/// A journal file, named after the sequence of its first record: <c>journal-000000000001.log</c>. Twelve digits
/// at least (more once sequences need them); files are ordered by the parsed number, not by name.
/// </summary>
internal readonly record struct JournalFile(long FirstSequence, string Path)
{
    private const string Prefix = "journal-";
    private const string Extension = ".log";

    public static string PathFor(string directory, long firstSequence) =>
        System.IO.Path.Combine(directory, Prefix + firstSequence.ToString("D12", CultureInfo.InvariantCulture) + Extension);

    /// <summary>The journal files of <paramref name="directory"/>, in sequence order.</summary>
    public static JournalFile[] List(string directory)
    {
        var files = new List<JournalFile>();
        foreach (string path in System.IO.Directory.EnumerateFiles(directory, Prefix + "*" + Extension))
        {
            var name = System.IO.Path.GetFileName(path.AsSpan());
            var digits = name[Prefix.Length..^Extension.Length];
            if (digits.Length > 0 && !digits.ContainsAnyExceptInRange('0', '9')
                && long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out long first))
            {
                files.Add(new JournalFile(first, path));
            }
        }

        files.Sort(static (a, b) => a.FirstSequence.CompareTo(b.FirstSequence));
        return [.. files];
    }
}
