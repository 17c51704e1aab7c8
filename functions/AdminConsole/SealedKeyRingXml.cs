using System.Text;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;
using Points.Functions.Withdrawals;

namespace Points.Functions.AdminConsole;

/// <summary>
/// Seals the console's Data Protection keys (what signs its anti-forgery tokens) before they are stored in Cosmos
/// (<see cref="ConsoleKeyRing"/>), with the bank data key from Key Vault and its rotation (<see cref="BankDataProtector"/>):
/// a copy of the database alone cannot forge a form.
/// </summary>
public sealed class SealedKeyRingXmlEncryptor(BankDataProtector protector) : IXmlEncryptor
{
    /// <summary>What the sealed bytes are bound to: no member id or other sealed secret has this owner.</summary>
    public const string Owner = "console-data-protection/key";

    public EncryptedXmlInfo Encrypt(XElement plaintextElement)
    {
        var sealedData = protector.Seal(Encoding.UTF8.GetBytes(plaintextElement.ToString(SaveOptions.DisableFormatting)), Owner);
        var element = new XElement("sealedKey",
            new XAttribute("keyId", sealedData.KeyId), new XAttribute("nonce", sealedData.Nonce),
            new XAttribute("ciphertext", sealedData.Ciphertext), new XAttribute("tag", sealedData.Tag));
        return new EncryptedXmlInfo(element, typeof(SealedKeyRingXmlDecryptor));
    }
}

/// <summary>Opens what <see cref="SealedKeyRingXmlEncryptor"/> sealed (Data Protection creates it with the app's services).</summary>
public sealed class SealedKeyRingXmlDecryptor(IServiceProvider services) : IXmlDecryptor
{
    public XElement Decrypt(XElement encryptedElement)
    {
        string Attribute(string name) => encryptedElement.Attribute(name)?.Value ?? throw new FormatException($"A sealed key has no '{name}'.");
        var sealedData = new SealedData(Attribute("keyId"), Attribute("nonce"), Attribute("ciphertext"), Attribute("tag"));
        var plaintext = services.GetRequiredService<BankDataProtector>().Open(sealedData, SealedKeyRingXmlEncryptor.Owner);
        return XElement.Parse(Encoding.UTF8.GetString(plaintext));
    }
}
