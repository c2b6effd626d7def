/**
 * Test vectors from RFC 8448 (Example Handshake Traces for TLS 1.3), copied from the RFC text
 * in /work/shared/reference/rfc/rfc8448.txt. §3 is the simple 1-RTT handshake (x25519,
 * TLS_AES_128_GCM_SHA256, rsa_pss_rsae_sha256); §4 resumes it with the §3 ticket and 0-RTT.
 * Handshake messages include their 4-byte header; records include their 5-byte header.
 * @module
 */
import { type Bytes, fromHex } from "../../src/_bytes.ts";

const h = (hex: string): Bytes => fromHex(hex);

/** RFC 8448 §3: Simple 1-RTT Handshake. */
export const simple1Rtt = {
  /** Client X25519 private key. */
  clientPrivateKey: h("49af42ba7f7994852d713ef2784bcbcaa7911de26adc5642cb634540e7ea5005"),
  /** Client X25519 public key (key_share). */
  clientPublicKey: h("99381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae4d5413691e529aaf2c"),
  /** ClientHello handshake message, header included. */
  clientHello: h(
    "010000c00303cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7000006130113" +
      "031302010000910000000b0009000006736572766572ff01000100000a00140012001d001700180019010001" +
      "0101020103010400230000003300260024001d002099381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae" +
      "4d5413691e529aaf2c002b0003020304000d0020001e04030503060302030804080508060401050106010201" +
      "0402050206020202002d00020101001c00024001",
  ),
  /** ClientHello as a plaintext record (legacy_record_version 0x0301). */
  clientHelloRecord: h(
    "16030100c4010000c00303cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece700" +
      "0006130113031302010000910000000b0009000006736572766572ff01000100000a00140012001d00170018" +
      "00190100010101020103010400230000003300260024001d002099381de560e4bd43d23d8e435a7dbafeb3c0" +
      "6e51c13cae4d5413691e529aaf2c002b0003020304000d0020001e0403050306030203080408050806040105" +
      "01060102010402050206020202002d00020101001c00024001",
  ),
  /** Early Secret (no PSK). */
  earlySecret: h("33ad0a1c607ec03b09e6cd9893680ce210adf300aa1f2660e1b22e10f170f92a"),
  /** Server X25519 private key. */
  serverPrivateKey: h("b1580eeadf6dd589b8ef4f2d5652578cc810e9980191ec8d058308cea216a21e"),
  /** Server X25519 public key (key_share). */
  serverPublicKey: h("c9828876112095fe66762bdbf7c672e156d6cc253b833df1dd69b1b04e751f0f"),
  /** ServerHello handshake message. */
  serverHello: h(
    "020000560303a6af06a4121860dc5e6e60249cd34c95930c8ac5cb1434dac155772ed3e2692800130100002e" +
      "00330024001d0020c9828876112095fe66762bdbf7c672e156d6cc253b833df1dd69b1b04e751f0f002b0002" +
      "0304",
  ),
  /** SHA-256 of the empty string. */
  emptyHash: h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
  /** Derive-Secret(Early Secret, "derived", ""). */
  derivedEarly: h("6f2615a108c702c5678f54fc9dbab69716c076189c48250cebeac3576c3611ba"),
  /** The X25519 shared secret. */
  sharedSecret: h("8bd4054fb55b9d63fdfbacf9f04b9f0d35e6d63f537563efd46272900f89492d"),
  /** Handshake Secret. */
  handshakeSecret: h("1dc826e93606aa6fdc0aadc12f741b01046aa6b99f691ed221a9f0ca043fbeac"),
  /** Transcript-Hash(ClientHello, ServerHello). */
  helloHash: h("860c06edc07858ee8e78f0e7428c58edd6b43f2ca3e6e95f02ed063cf0e1cad8"),
  /** client_handshake_traffic_secret. */
  clientHandshakeTrafficSecret: h(
    "b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21",
  ),
  /** server_handshake_traffic_secret. */
  serverHandshakeTrafficSecret: h(
    "b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38",
  ),
  /** Derive-Secret(Handshake Secret, "derived", ""). */
  derivedHandshake: h("43de77e0c77713859a944db9db2590b53190a65b3ee2e4f12dd7a0bb7ce254b4"),
  /** Master Secret. */
  masterSecret: h("18df06843d13a08bf2a449844c5f8a478001bc4d4c627984d5a41da8d0402919"),
  /** ServerHello as a plaintext record. */
  serverHelloRecord: h(
    "160303005a020000560303a6af06a4121860dc5e6e60249cd34c95930c8ac5cb1434dac155772ed3e2692800" +
      "130100002e00330024001d0020c9828876112095fe66762bdbf7c672e156d6cc253b833df1dd69b1b04e751f" +
      "0f002b00020304",
  ),
  /** Server handshake write key. */
  serverHandshakeKey: h("3fce516009c21727d0f2e4e86ee403bc"),
  /** Server handshake write IV. */
  serverHandshakeIv: h("5d313eb2671276ee13000b30"),
  /** EncryptedExtensions handshake message. */
  encryptedExtensions: h(
    "080000240022000a00140012001d00170018001901000101010201030104001c0002400100000000",
  ),
  /** Certificate handshake message. */
  certificate: h(
    "0b0001b9000001b50001b0308201ac30820115a003020102020102300d06092a864886f70d01010b0500300e" +
      "310c300a06035504031303727361301e170d3136303733303031323335395a170d3236303733303031323335" +
      "395a300e310c300a0603550403130372736130819f300d06092a864886f70d010101050003818d0030818902" +
      "818100b4bb498f8279303d980836399b36c6988c0c68de55e1bdb826d3901a2461eafd2de49a91d015abbc9a" +
      "95137ace6c1af19eaa6af98c7ced43120998e187a80ee0ccb0524b1b018c3e0b63264d449a6d38e22a5fda43" +
      "0846748030530ef0461c8ca9d9efbfae8ea6d1d03e2bd193eff0ab9a8002c47428a6d35a8d88d79f7f1e3f02" +
      "03010001a31a301830090603551d1304023000300b0603551d0f0404030205a0300d06092a864886f70d0101" +
      "0b05000381810085aad2a0e5b9276b908c65f73a7267170618a54c5f8a7b337d2df7a594365417f2eae8f8a5" +
      "8c8f8172f9319cf36b7fd6c55b80f21a03015156726096fd335e5e67f2dbf102702e608ccae6bec1fc63a42a" +
      "99be5c3eb7107c3c54e9b9eb2bd5203b1c3b84e0a8b2f759409ba3eac9d91d402dcc0cc8f8961229ac9187b4" +
      "2b4de10000",
  ),
  /** CertificateVerify handshake message (rsa_pss_rsae_sha256). */
  certificateVerify: h(
    "0f000084080400805a747c5d88fa9bd2e55ab085a61015b7211f824cd484145ab3ff52f1fda8477b0b7abc90" +
      "db78e2d33a5c141a078653fa6bef780c5ea248eeaaa785c4f394cab6d30bbe8d4859ee511f602957b15411ac" +
      "027671459e46445c9ea58c181e818e95b8c3fb0bf3278409d3be152a3da5043e063dda65cdf5aea20d53dfac" +
      "d42f74f3",
  ),
  /** Server finished_key. */
  serverFinishedKey: h("008d3b66f816ea559f96b537e885c31fc068bf492c652f01f288a1d8cdc19fc8"),
  /** Server Finished verify_data. */
  serverFinishedVerifyData: h("9b9b141d906337fbd2cbdce71df4deda4ab42c309572cb7fffee5454b78f0718"),
  /** Server Finished handshake message. */
  serverFinished: h("140000209b9b141d906337fbd2cbdce71df4deda4ab42c309572cb7fffee5454b78f0718"),
  /** EncryptedExtensions..Finished, the content of the protected handshake record. */
  serverHandshakePlaintext: h(
    "080000240022000a00140012001d00170018001901000101010201030104001c00024001000000000b0001b9" +
      "000001b50001b0308201ac30820115a003020102020102300d06092a864886f70d01010b0500300e310c300a" +
      "06035504031303727361301e170d3136303733303031323335395a170d3236303733303031323335395a300e" +
      "310c300a0603550403130372736130819f300d06092a864886f70d010101050003818d0030818902818100b4" +
      "bb498f8279303d980836399b36c6988c0c68de55e1bdb826d3901a2461eafd2de49a91d015abbc9a95137ace" +
      "6c1af19eaa6af98c7ced43120998e187a80ee0ccb0524b1b018c3e0b63264d449a6d38e22a5fda4308467480" +
      "30530ef0461c8ca9d9efbfae8ea6d1d03e2bd193eff0ab9a8002c47428a6d35a8d88d79f7f1e3f0203010001" +
      "a31a301830090603551d1304023000300b0603551d0f0404030205a0300d06092a864886f70d01010b050003" +
      "81810085aad2a0e5b9276b908c65f73a7267170618a54c5f8a7b337d2df7a594365417f2eae8f8a58c8f8172" +
      "f9319cf36b7fd6c55b80f21a03015156726096fd335e5e67f2dbf102702e608ccae6bec1fc63a42a99be5c3e" +
      "b7107c3c54e9b9eb2bd5203b1c3b84e0a8b2f759409ba3eac9d91d402dcc0cc8f8961229ac9187b42b4de100" +
      "000f000084080400805a747c5d88fa9bd2e55ab085a61015b7211f824cd484145ab3ff52f1fda8477b0b7abc" +
      "90db78e2d33a5c141a078653fa6bef780c5ea248eeaaa785c4f394cab6d30bbe8d4859ee511f602957b15411" +
      "ac027671459e46445c9ea58c181e818e95b8c3fb0bf3278409d3be152a3da5043e063dda65cdf5aea20d53df" +
      "acd42f74f3140000209b9b141d906337fbd2cbdce71df4deda4ab42c309572cb7fffee5454b78f0718",
  ),
  /** The server's protected handshake record. */
  serverHandshakeRecord: h(
    "17030302a2d1ff334a56f5bff6594a07cc87b580233f500f45e489e7f33af35edf7869fcf40aa40aa2b8ea73" +
      "f848a7ca07612ef9f945cb960b4068905123ea78b111b429ba9191cd05d2a389280f526134aadc7fc78c4b72" +
      "9df828b5ecf7b13bd9aefb0e57f271585b8ea9bb355c7c79020716cfb9b1183ef3ab20e37d57a6b9d7477609" +
      "aee6e122a4cf51427325250c7d0e509289444c9b3a648f1d71035d2ed65b0e3cdd0cbae8bf2d0b227812cbb3" +
      "60987255cc744110c453baa4fcd610928d809810e4b7ed1a8fd991f06aa6248204797e36a6a73b70a2559c09" +
      "ead686945ba246ab66e5edd8044b4c6de3fcf2a89441ac66272fd8fb330ef8190579b3684596c960bd596eea" +
      "520a56a8d650f563aad27409960dca63d3e688611ea5e22f4415cf9538d51a200c27034272968a264ed6540c" +
      "84838d89f72c24461aad6d26f59ecaba9acbbb317b66d902f4f292a36ac1b639c637ce343117b65962224531" +
      "7b49eeda0c6258f100d7d961ffb138647e92ea330faeea6dfa31c7a84dc3bd7e1b7a6c7178af36879018e3f2" +
      "52107f243d243dc7339d5684c8b0378bf30244da8c87c843f5e56eb4c5e8280a2b48052cf93b16499a66db7c" +
      "ca71e4599426f7d461e66f99882bd89fc50800becca62d6c74116dbd2972fda1fa80f85df881edbe5a376689" +
      "36b335583b599186dc5c6918a396fa48a181d6b6fa4f9d62d513afbb992f2b992f67f8afe67f76913fa388cb" +
      "5630c8ca01e0c65d11c66a1e2ac4c85977b7c7a6999bbf10dc35ae69f5515614636c0b9b68c19ed2e31c0b3b" +
      "66763038ebba42f3b38edc0399f3a9f23faa63978c317fc9fa66a73f60f0504de93b5b845e275592c12335ee" +
      "340bbc4fddd502784016e4b3be7ef04dda49f4b440a30cb5d2af939828fd4ae3794e44f94df5a631ede42c17" +
      "19bfdabf0253fe5175be898e750edc53370d2b",
  ),
  /** Transcript-Hash(ClientHello..server Finished). */
  serverFinishedHash: h("9608102a0f1ccc6db6250b7b7e417b1a000eaada3daae4777a7686c9ff83df13"),
  /** client_application_traffic_secret_0. */
  clientApplicationTrafficSecret: h(
    "9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5",
  ),
  /** server_application_traffic_secret_0. */
  serverApplicationTrafficSecret: h(
    "a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643",
  ),
  /** exporter_master_secret. */
  exporterMasterSecret: h("fe22f881176eda18eb8f44529e6792c50c9a3f89452f68d8ae311b4309d3cf50"),
  /** Server application write key. */
  serverApplicationKey: h("9f02283b6c9c07efc26bb9f2ac92e356"),
  /** Server application write IV. */
  serverApplicationIv: h("cf782b88dd83549aadf1e984"),
  /** Client handshake write key. */
  clientHandshakeKey: h("dbfaa693d1762c5b666af5d950258d01"),
  /** Client handshake write IV. */
  clientHandshakeIv: h("5bd3c71b836e0b76bb73265f"),
  /** Client finished_key. */
  clientFinishedKey: h("b80ad01015fb2f0bd65ff7d4da5d6bf83f84821d1f87fdc7d3c75b5a7b42d9c4"),
  /** Client Finished verify_data. */
  clientFinishedVerifyData: h("a8ec436d677634ae525ac1fcebe11a039ec17694fac6e98527b642f2edd5ce61"),
  /** Client Finished handshake message. */
  clientFinished: h("14000020a8ec436d677634ae525ac1fcebe11a039ec17694fac6e98527b642f2edd5ce61"),
  /** The client's protected Finished record. */
  clientFinishedRecord: h(
    "170303003575ec4dc238cce60b298044a71e219c56cc77b0517fe9b93c7a4bfc44d87f38f80338ac98fc46de" +
      "b384bd1caeacab6867d726c40546",
  ),
  /** Client application write key. */
  clientApplicationKey: h("17422dda596ed5d9acd890e3c63f5051"),
  /** Client application write IV. */
  clientApplicationIv: h("5b78923dee08579033e523d9"),
  /** Transcript-Hash(ClientHello..client Finished). */
  clientFinishedHash: h("209145a96ee8e2a122ff810047cc952684658d6049e86429426db87c54ad143d"),
  /** resumption_master_secret. */
  resumptionMasterSecret: h("7df235f2031d2a051287d02b0241b0bfdaf86cc856231f2d5aba46c434ec196c"),
  /** The ticket_nonce of the NewSessionTicket. */
  ticketNonce: h("0000"),
  /** The PSK the ticket carries. */
  resumptionPsk: h("4ecd0eb6ec3b4d87f5d6028f922ca4c5851a277fd41311c9e62d2c9492e1c4f3"),
  /** NewSessionTicket handshake message. */
  newSessionTicket: h(
    "040000c90000001efad6aac502000000b22c035d829359ee5ff7af4ec900000000262a6494dc486d2c8a34cb" +
      "33fa90bf1b0070ad3c498883c9367c09a2be785abc55cd226097a3a982117283f82a03a143efd3ff5dd36d64" +
      "e861be7fd61d2827db279cce145077d454a3664d4e6da4d29ee03725a6a4dafcd0fc67d2aea70529513e3da2" +
      "677fa5906c5b3f7d8f92f228bda40dda721470f9fbf297b5aea617646fac5c03272e970727c621a79141ef5f" +
      "7de6505e5bfbc388e93343694093934ae4d3570008002a000400000400",
  ),
  /** The protected NewSessionTicket record (server application keys, sequence 0). */
  newSessionTicketRecord: h(
    "17030300de3a6b8f90414a97d6959c3487680de5134a2b240e6cffac116e95d41d6af8f6b580dcf3d11d63c7" +
      "58db289a015940252f55713e061dc13e078891a38efbcf5753ad8ef170ad3c7353d16d9da773b9ca7f2b9fa1" +
      "b6c0d4a3d03f75e09c30ba1e62972ac46f75f7b981be63439b2999ce13064615139891d5e4c5b406f16e3fc1" +
      "81a77ca475840025db2f0a77f81b5ab05b94c01346755f69232c86519d86cbeeac87aac347d143f9605d64f6" +
      "50db4d023e70e952ca49fe5137121c74bc2697687e248746d6df353005f3bce18696129c8153556b3b6c6779" +
      "b37bf15985684f",
  ),
  /** The client's application data. */
  clientApplicationData: h(
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b" +
      "2c2d2e2f3031",
  ),
  /** Its protected record (client application keys, sequence 0). */
  clientApplicationDataRecord: h(
    "1703030043a23f7054b62c94d0affafe8228ba55cbefacea42f914aa66bcab3f2b9819a8a5b46b395bd54a9a" +
      "20441e2b62974e1f5a6292a2977014bd1e3deae63aeebb21694915e4",
  ),
  /** The server's application data. */
  serverApplicationData: h(
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b" +
      "2c2d2e2f3031",
  ),
  /** Its protected record (server application keys, sequence 1). */
  serverApplicationDataRecord: h(
    "17030300432e937e11ef4ac740e538ad36005fc4a46932fc3225d05f82aa1b36e30efaf97d90e6dffc602dcb" +
      "501a59a8fcc49c4bf2e5f0a21c0047c2abf332540dd032e167c2955d",
  ),
  /** The client's protected close_notify (sequence 1). */
  clientAlertRecord: h("1703030013c9872760655666b74d7ff1153efd6db6d0b0e3"),
  /** The server's protected close_notify (sequence 2). */
  serverAlertRecord: h("1703030013b58fd67166ebf599d24720cfbe7efa7a8864a9"),
} as const;

/** RFC 8448 §4: Resumed 0-RTT Handshake. */
export const resumed0Rtt = {
  /** The PSK from §3's ticket. */
  psk: h("4ecd0eb6ec3b4d87f5d6028f922ca4c5851a277fd41311c9e62d2c9492e1c4f3"),
  /** Early Secret from the PSK. */
  earlySecret: h("9b2188e9b2fc6d64d71dc329900e20bb41915000f678aa839cbb797cb7d8332c"),
  /** ClientHello truncated before the binders (RFC 8446 §4.2.11.2). */
  clientHelloPrefix: h(
    "010001fc03031bc3ceb6bbe39cff938355b5a50adb6db21b7a6af649d7b4bc419d7876487d95000006130113" +
      "031302010001cd0000000b0009000006736572766572ff01000100000a00140012001d001700180019010001" +
      "01010201030104003300260024001d0020e4ffb68ac05f8d96c99da26698346c6be16482badddafe051a66b4" +
      "f18d668f0b002a0000002b0003020304000d0020001e04030503060302030804080508060401050106010201" +
      "0402050206020202002d00020101001c00024001001500570000000000000000000000000000000000000000" +
      "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000" +
      "0000000000000000000000000000000000000000000000002900dd00b800b22c035d829359ee5ff7af4ec900" +
      "000000262a6494dc486d2c8a34cb33fa90bf1b0070ad3c498883c9367c09a2be785abc55cd226097a3a98211" +
      "7283f82a03a143efd3ff5dd36d64e861be7fd61d2827db279cce145077d454a3664d4e6da4d29ee03725a6a4" +
      "dafcd0fc67d2aea70529513e3da2677fa5906c5b3f7d8f92f228bda40dda721470f9fbf297b5aea617646fac" +
      "5c03272e970727c621a79141ef5f7de6505e5bfbc388e93343694093934ae4d357fad6aacb",
  ),
  /** Transcript-Hash of the truncated ClientHello. */
  binderHash: h("63224b2e4573f2d3454ca84b9d009a04f6be9e05711a8396473aefa01e924a14"),
  /** binder_key (Derive-Secret(Early Secret, "res binder", "")). */
  binderKey: h("69fe131a3bbad5d63c64eebcc30e395b9d8107726a13d074e389dbc8a4e47256"),
  /** finished_key derived from the binder key. */
  binderFinishedKey: h("5588673e72cb59c87d220caffe94f2dea9a3b1609f7d50e90a48227db9ed7eaa"),
  /** The PSK binder. */
  binder: h("3add4fb2d8fdf822a0ca3cf7678ef5e88dae990141c5924d57bb6fa31b9e5f9d"),
  /** The complete ClientHello with pre_shared_key and binder. */
  clientHello: h(
    "010001fc03031bc3ceb6bbe39cff938355b5a50adb6db21b7a6af649d7b4bc419d7876487d95000006130113" +
      "031302010001cd0000000b0009000006736572766572ff01000100000a00140012001d001700180019010001" +
      "01010201030104003300260024001d0020e4ffb68ac05f8d96c99da26698346c6be16482badddafe051a66b4" +
      "f18d668f0b002a0000002b0003020304000d0020001e04030503060302030804080508060401050106010201" +
      "0402050206020202002d00020101001c00024001001500570000000000000000000000000000000000000000" +
      "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000" +
      "0000000000000000000000000000000000000000000000002900dd00b800b22c035d829359ee5ff7af4ec900" +
      "000000262a6494dc486d2c8a34cb33fa90bf1b0070ad3c498883c9367c09a2be785abc55cd226097a3a98211" +
      "7283f82a03a143efd3ff5dd36d64e861be7fd61d2827db279cce145077d454a3664d4e6da4d29ee03725a6a4" +
      "dafcd0fc67d2aea70529513e3da2677fa5906c5b3f7d8f92f228bda40dda721470f9fbf297b5aea617646fac" +
      "5c03272e970727c621a79141ef5f7de6505e5bfbc388e93343694093934ae4d357fad6aacb0021203add4fb2" +
      "d8fdf822a0ca3cf7678ef5e88dae990141c5924d57bb6fa31b9e5f9d",
  ),
  /** The ClientHello record. */
  clientHelloRecord: h(
    "1603010200010001fc03031bc3ceb6bbe39cff938355b5a50adb6db21b7a6af649d7b4bc419d7876487d9500" +
      "0006130113031302010001cd0000000b0009000006736572766572ff01000100000a00140012001d00170018" +
      "001901000101010201030104003300260024001d0020e4ffb68ac05f8d96c99da26698346c6be16482baddda" +
      "fe051a66b4f18d668f0b002a0000002b0003020304000d0020001e0403050306030203080408050806040105" +
      "01060102010402050206020202002d00020101001c0002400100150057000000000000000000000000000000" +
      "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000" +
      "00000000000000000000000000000000000000000000000000000000002900dd00b800b22c035d829359ee5f" +
      "f7af4ec900000000262a6494dc486d2c8a34cb33fa90bf1b0070ad3c498883c9367c09a2be785abc55cd2260" +
      "97a3a982117283f82a03a143efd3ff5dd36d64e861be7fd61d2827db279cce145077d454a3664d4e6da4d29e" +
      "e03725a6a4dafcd0fc67d2aea70529513e3da2677fa5906c5b3f7d8f92f228bda40dda721470f9fbf297b5ae" +
      "a617646fac5c03272e970727c621a79141ef5f7de6505e5bfbc388e93343694093934ae4d357fad6aacb0021" +
      "203add4fb2d8fdf822a0ca3cf7678ef5e88dae990141c5924d57bb6fa31b9e5f9d",
  ),
  /** client_early_traffic_secret. */
  clientEarlyTrafficSecret: h("3fbbe6a60deb66c30a32795aba0eff7eaa10105586e7be5c09678d63b6caab62"),
  /** early_exporter_master_secret. */
  earlyExporterMasterSecret: h("b2026866610937d7423e5be90862ccf24c0e6091186d34f812089ff5be2ef7df"),
  /** Client early data write key. */
  clientEarlyKey: h("920205a5b7bf2115e6fc5c2942834f54"),
  /** Client early data write IV. */
  clientEarlyIv: h("6d475f0993c8e564610db2b9"),
  /** The 0-RTT application data. */
  earlyData: h("414243444546"),
  /** Its protected record. */
  earlyDataRecord: h("1703030017ab1df420e75c457a7cc5d2844f76d5aee4b4edbf049be0"),
  /** ServerHello (selected_identity 0). */
  serverHello: h(
    "0200005c03033ccfd2dec890222763472ae8136777c9d7358777bb66e91ea5122495f559ea2d001301000034" +
      "00290002000000330024001d0020121761ee42c333e1b9e77b60dd57c2053cd94512ab47f115e86eff50942c" +
      "ea31002b00020304",
  ),
  /** The X25519 shared secret. */
  sharedSecret: h("f44194756ff9ec9d25180635d66ea6824c6ab3bf179977be37f723570e7ccb2e"),
  /** Handshake Secret. */
  handshakeSecret: h("005cb112fd8eb4ccc623bb88a07c64b3ede1605363fc7d0df8c7ce4ff0fb4ae6"),
  /** Client X25519 private key. */
  clientPrivateKey: h("bff91188283846dd6a2134ef7180ca2b0b14fb10dce707b5098c0dddc813b2df"),
  /** Client X25519 public key (key_share). */
  clientPublicKey: h("e4ffb68ac05f8d96c99da26698346c6be16482badddafe051a66b4f18d668f0b"),
  /** ServerHello as a plaintext record. */
  serverHelloRecord: h(
    "16030300600200005c03033ccfd2dec890222763472ae8136777c9d7358777bb66e91ea5122495f559ea2d00" +
      "130100003400290002000000330024001d0020121761ee42c333e1b9e77b60dd57c2053cd94512ab47f115e8" +
      "6eff50942cea31002b00020304",
  ),
  /** EncryptedExtensions: supported_groups, record_size_limit, server_name, early_data. */
  encryptedExtensions: h(
    "080000280026000a00140012001d00170018001901000101010201030104001c0002400100000000002a0000",
  ),
  /** Server Finished handshake message. */
  serverFinished: h("1400002048d3e0e1b3d907c6acff145e16090388c77b05c050b634ab1a88bbd0dd1a34b2"),
  /** The server's protected EncryptedExtensions + Finished record. */
  serverHandshakeRecord: h(
    "1703030061dc48237b4b879f50d0d4d262ea8b4716eb40ddc1eb957e11126e8a7149c2d012d37a7115957e64" +
      "ce30008b9e0323f2c05a9c1c77b4f37849a695ab255060a33fee770ca95cb8486bfd0843b87024865ca35cc4" +
      "1c4e515c64dcb1369f98635bc7a5",
  ),
  /** Client handshake write key. */
  clientHandshakeKey: h("b1530806f4adfeac83f1413032bbfa82"),
  /** Client handshake write IV. */
  clientHandshakeIv: h("eb50c16be7654abf99dd06d9"),
  /** Client finished_key. */
  clientFinishedKey: h("5ace394c26980d581243f627d1150ae27e37fa52364e0a7f20ac686d09cd0e8e"),
  /** The client's protected application data (client application keys, sequence 0). */
  clientApplicationDataRecord: h(
    "1703030043b1cebce242aa201be9ae5e1cb2a9aa4b33d4e866af1edb068919237741aa031d7a74d491c99b9d" +
      "4e232b74206bc6fbaa04fe78be44a9b4f54320a17eb76992afac3103",
  ),
  /** The server's protected application data (server application keys, sequence 0). */
  serverApplicationDataRecord: h(
    "1703030043275e9f20acff57bc000657d3867df039cccf79047884cf75771746f740b5a83f462a0954c35813" +
      "93a203a25a7dd14141ef1a37900cdb62ff62dee1ba39ab2590cbf194",
  ),
  /** The client's protected close_notify (sequence 1). */
  clientAlertRecord: h("17030300130facce3246bdfc6369838d6a82ae6de5d422dc"),
  /** The server's protected close_notify (sequence 1). */
  serverAlertRecord: h("17030300135b18af444e8e1eec7158fb62d8f2577d37ba5d"),
} as const;
