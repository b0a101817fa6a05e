package fetch

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// File is one file of a downloadable model.
type File struct {
	Name   string // file name inside the model's directory
	URL    string
	Size   int64  // bytes; 0 when not published
	SHA256 string // hex digest, a prefix of it when only that is published, or "" when unknown
}

// Model is a VGG-19 that Download knows how to bring.
type Model struct {
	Name        string
	Description string
	Format      string // as weights.Load detects it: "tfjs", "torch" or "caffe"
	Note        string // provenance and caveats, e.g. about missing hashes
	Files       []File
}

// WeightsPath is what to pass to weights.Load once the model is in dir.
func (m Model) WeightsPath(dir string) string {
	if m.Format == "tfjs" || len(m.Files) == 0 {
		return dir
	}
	return filepath.Join(dir, m.Files[0].Name)
}

// Models lists the models Download can bring.
func Models() []Model {
	const tfjsBase = "https://raw.githubusercontent.com/azertat/tfjs_models/3c14b35a1b5037c331fe01da1b00d2d3bb09bba9/models/little_shards/"
	tfjs := Model{
		Name:        "vgg19-imagenet-tfjs-uint8",
		Description: "Keras VGG-19 (from the original Caffe weights) as a TensorFlow.js layers model, uint8-quantized, 138 MB",
		Format:      "tfjs",
		Note:        "sha256 of every file published in this registry (same as the shared copy's SHA256SUMS)",
	}
	for _, line := range strings.Split(strings.TrimSpace(tfjsUint8Files), "\n") {
		f := strings.Fields(line)
		size, _ := strconv.ParseInt(f[1], 10, 64)
		tfjs.Files = append(tfjs.Files, File{Name: f[2], URL: tfjsBase + f[2], Size: size, SHA256: f[0]})
	}
	return []Model{
		tfjs,
		{
			Name:        "vgg19-torchvision",
			Description: "torchvision's VGG-19 (vgg19-dcbb9e9d.pth), float32, RGB with ImageNet mean/std, 548 MB",
			Format:      "torch",
			Note:        "only the sha256 prefix dcbb9e9d (torchvision's file name) is published: verification checks that prefix",
			Files: []File{{Name: "vgg19-dcbb9e9d.pth", URL: "https://download.pytorch.org/models/vgg19-dcbb9e9d.pth",
				SHA256: "dcbb9e9d"}},
		},
		{
			Name:        "vgg19-caffe",
			Description: "the original Caffe VGG_ILSVRC_19_layers of Simonyan & Zisserman, float32, BGR minus mean, 548 MB",
			Format:      "caffe",
			Note:        "no sha256 is published for this file: it cannot be verified, only loaded (fetch it with -allow-unverified)",
			Files: []File{{Name: "VGG_ILSVRC_19_layers.caffemodel",
				URL: "http://www.robots.ox.ac.uk/~vgg/software/very_deep/caffe/VGG_ILSVRC_19_layers.caffemodel"}},
		},
	}
}

// Find returns the model named name.
func Find(name string) (Model, error) {
	models := Models()
	for _, m := range models {
		if m.Name == name {
			return m, nil
		}
	}
	return Model{}, fmt.Errorf("fetch: unknown model %q; known models: %s", name, strings.Join(modelNames(models), ", "))
}

// DefaultDir is the default directory for a downloaded model:
// $STYLELAB_MODELS/<model>, else <user cache dir>/stylelab/models/<model>.
func DefaultDir(model string) (string, error) {
	if d := os.Getenv("STYLELAB_MODELS"); d != "" {
		return filepath.Join(d, model), nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("fetch: no default weights directory (%w): set STYLELAB_MODELS or pass a directory", err)
	}
	return filepath.Join(d, "stylelab", "models", model), nil
}

func modelNames(models []Model) []string {
	names := make([]string, len(models))
	for i, m := range models {
		names[i] = m.Name
	}
	return names
}

// tfjsUint8Files lists the TensorFlow.js uint8 VGG-19 (github.com/azertat/tfjs_models
// at commit 3c14b35a, models/little_shards/): "sha256 size name" per line,
// model.json first, then the shards in manifest order. Hashes are those of
// the shared copy's SHA256SUMS, which is byte-identical to that commit.
const tfjsUint8Files = `
f60aa44c0c3fb179b3beddfcac96d3281e43338dd3fb7c9b9e2f89fe03237be5 25990 model.json
cca7e99e423e8107664f51435855274ac51fd14570597d41744886e59cde34e6 1048576 group1-shard1of138.bin
550564f5e111b77878d59231eaf5d26b95da2eafcb84e1b09597906494527026 1048576 group1-shard2of138.bin
1682fb64cac699bd65fb5c8440922a28083e12ef2f52f8aed351d31a29550095 1048576 group1-shard3of138.bin
9103f95900a42be7f7e6028cca95d6e52ad537c237320a81d9e666bdac15f6e9 1048576 group1-shard4of138.bin
da2918df08e6dc7d8f99cd7f35ea7862d3c09f899fe93e5b1ddfa6965de12f3e 1048576 group1-shard5of138.bin
3a808f7bc1add7c1c03f67354d69117e10ef0bcdd25248db4785a76738890d14 1048576 group1-shard6of138.bin
5b3479841bcb79fc6274d3426a58bcb234736347335bf66d20daea5cc583f8d1 1048576 group1-shard7of138.bin
933ba188e1b3977832f5bf2a229f61eca7d0d8c2850a42e63fe10baa40b72ff8 1048576 group1-shard8of138.bin
78d080b7752aedcbe7693bd552fe7d3488174aec7862942fcdb8167409c678e4 1048576 group1-shard9of138.bin
13ece075d0d682cd8c3feeaa962122c154923500a0aca1022ee47c6fa5608e69 1048576 group1-shard10of138.bin
fa63eebe52165edd2f209a757fd7add6930aec952872c96428934cd0fc9a6d3a 1048576 group1-shard11of138.bin
685bb760e407e77c6f71b51653176ae6ff2f3dfa137a3fd72baeaf533f35e036 1048576 group1-shard12of138.bin
28cb9ed5094b73e74ab5f80292e5bd1dc03c0a1930df1a14d53eaab3e1f5aba0 1048576 group1-shard13of138.bin
0cd8d60aeb1ffc93f18d781fa03b61b73174a88c9a6680a6c6f57c014328c9f4 1048576 group1-shard14of138.bin
5c147b8aa536957022abe3e122352a7952c3d56a12aeb3bb18751bf595cec822 1048576 group1-shard15of138.bin
80ea6169a921b5a8dcfd3109c8ac6517cdce5750ebda5e88ac8577ddba46c96f 1048576 group1-shard16of138.bin
2c3eecc55de1dcac2fcbb7e0f7064804ea71b68df03a77e2ccfbb9f6eb3fd15e 1048576 group1-shard17of138.bin
018b2eb3ea60f067fbe8c036cddf194acd3f8d06adf29b349a6d76cf82a0d7ef 1048576 group1-shard18of138.bin
d5fb21c5cdedb4b4407fd34e0994ee58d25f4ea6163230dfd1944481431ff5bc 1048576 group1-shard19of138.bin
c83cb283499ef039d8079bf3317dbad59806413c6b36d99c9af0747bd62ebe73 1048576 group1-shard20of138.bin
195e5182703ba85975fa62dfa5342e5b6fc7a97d37a70cc048ad77da97ec550c 1048576 group1-shard21of138.bin
75d99c572ef908a2f3904594346847967cdc6d6f016bcef5d7ce2caec4fa5ac2 1048576 group1-shard22of138.bin
6c79edad63c2b1691e71aa5566f671d8cbd29aa49c998221329a5c2b6416b6dd 1048576 group1-shard23of138.bin
dcb392a563e99c40021d1f03dc1763d8aa2e0f02f7f7b36facce1d878de85566 1048576 group1-shard24of138.bin
efb2db04a7b199181a0677add7157b5833427c457c17f02bf47c57e42f178431 1048576 group1-shard25of138.bin
7ca275c3cf22910d15225007a5dd78f3570915ed38ce8556c4c9104792d5538f 1048576 group1-shard26of138.bin
6d89c5e83fd65c3b3c41fbb9feb8a474049c03786bf02bcf3f4cac16f8fde49f 1048576 group1-shard27of138.bin
08436d618efd5c643ea37f1a6f83006c787a4a520a2ad5bf93ae80e0e327971d 1048576 group1-shard28of138.bin
c7da54e30902be96d5b1e6173aa5015c20b70e3fe81aa9eff0d5fb5fa320a69d 1048576 group1-shard29of138.bin
2028d0db0fb25c368db189016c8e6d68600a62c32218f0cda98b34034a549a85 1048576 group1-shard30of138.bin
78b26d42cc0fac65405abd08e8be26459b1f1224119f9e19c0808d50ccbaf09c 1048576 group1-shard31of138.bin
30ec0ee5d0339fc351e1062ca24272cd9cb60430662a63522daf80330e281fd3 1048576 group1-shard32of138.bin
bfd69fe4493f99ae485e01c64090c4956818ba49eaf28caaf58844bc3b3be0f8 1048576 group1-shard33of138.bin
4a3324430ff53c7824cbcc5e05894ff492d9fc58432b5fe5eca3c3eea42c819c 1048576 group1-shard34of138.bin
0004641f446bdbf43884d40b01a09a31009d89df52a00e4abbc6ee597669c9a0 1048576 group1-shard35of138.bin
ebf596ea624982f1ae2b94723e4e2855be6772d301ad255ec9106cc137f319aa 1048576 group1-shard36of138.bin
a52a625af7a7c9a7b2c719f4cc7e9dec1099e7c91c7117c637082049ff8303de 1048576 group1-shard37of138.bin
ddf509304ae4cc6365957e0c3ea3baee5b078720a832e3b6ca7385b95bb62ccc 1048576 group1-shard38of138.bin
d48c50e6d8de3ac7d782407ccebbd7ea4cce855e2389d12db5793821a423a37c 1048576 group1-shard39of138.bin
75f6b7e83633645211c672eb4b24d630f34857425198c5f3fc2a84faaf5e73e9 1048576 group1-shard40of138.bin
1149f3478fe83e08f2c9cee87fec9d602cf1e530a209fbb717273ac66931f470 1048576 group1-shard41of138.bin
6cd8a1c607a4c451fed73b7a1496a8a4d619da14fb8fd72cc0328fd2c89430f0 1048576 group1-shard42of138.bin
2b4143f76dbe1a89b4c5b5b39ceb0af7d1afd98d9de687b2013548d6422f80a4 1048576 group1-shard43of138.bin
c3625314585b82eaa3b40bca2b6404d0dae0fbcb6ccf678a926028a6f900ef78 1048576 group1-shard44of138.bin
ab7095837c12ca7e1321475fbb02435546950279c7a3149e4f7517acc150d53d 1048576 group1-shard45of138.bin
51f066b2d40f136f0c8d433cf0db360f72bb748362ece468284a42af32276d6e 1048576 group1-shard46of138.bin
d8be57a55762916a39572a0ba2a73fed00d1cac31e315a0f019c90cd84996ffd 1048576 group1-shard47of138.bin
5111168ebc2bfdac9156343c3d39c466ef77185eca02d1bf6cb5af05c1ce6f9f 1048576 group1-shard48of138.bin
13d2c25e5db4e9069405d06b1c6ab5a0b47f5b27d0ef3f0b22675f1a3de5aa34 1048576 group1-shard49of138.bin
d5f972c1243ac9e5bdb8a8116c1f3aabeeed4b396ef00cb10c6e423695d7b813 1048576 group1-shard50of138.bin
687d23cc7f5f32c49f5d3b4487625ec6887539a63485942c1b8d4cb52e980052 1048576 group1-shard51of138.bin
9cf59bdb0e7766f7bffb793b3a884701cad7c9f10ea87d101be6b0d11c8275c3 1048576 group1-shard52of138.bin
979c3c75d3d5ce2ce899d5f980f314bc98247b70007d86aa45f04c767ae3f90f 1048576 group1-shard53of138.bin
8c11705b679df272a796dcdeba11074ed97fe25245f9e65e604763ed2950e02d 1048576 group1-shard54of138.bin
607ad633899469c05578d70d14b2f1bf2c765a23f25cfe74d1b3555628d06db3 1048576 group1-shard55of138.bin
f602b0e607013f3d286b1abe3d98ea8b4984c72945b2416aebafa2d7db44e661 1048576 group1-shard56of138.bin
493422cdd32657b267ac6f85ac200367a3a4852f5ff227ac2097a04f73410756 1048576 group1-shard57of138.bin
0ef7cca9e54ebf3783aa7cee689fefcc813ce49b8cbb327990fb8f2060ff3bf7 1048576 group1-shard58of138.bin
33f10caeb20aef8179320600f771553dded19105f9d528ea1ca9a940abe745c5 1048576 group1-shard59of138.bin
668504b47a3feebefdde0772248bec5898ef1b5ad92ac59d934a78c41146754c 1048576 group1-shard60of138.bin
862902b70d7a9a5ea43b885d7b14558fa9c54dfb20e77ab243ef4cc7267d33d0 1048576 group1-shard61of138.bin
f59acc955d7dbd2a2f782d64e1ff52399e549bae7e091df949fa1de9d350d570 1048576 group1-shard62of138.bin
ab52b2ab30cbaf9185efeaa5da49f0d558bab8caf5098d559077ba586acd74dd 1048576 group1-shard63of138.bin
5b340d7a84a938703622549f20dbd9ecf7698e55b06d4ec5def71f2dc0156f7b 1048576 group1-shard64of138.bin
74248a9fed522fa80f805f8cf670d65cfabe458d3f72a63cd02d276cd51107e7 1048576 group1-shard65of138.bin
e1a02ca9cfa5d1582987a66ea5b2a5ceb53279a17cf5f63e9f45a9f63979f176 1048576 group1-shard66of138.bin
168987edade8f02118452f2c62b5b2aec93fe6fd077e7bdf5688669fde7c3dc0 1048576 group1-shard67of138.bin
868ac1088192f3eba0b293976650a9bafccfdf020078be57255d0e952f3353cf 1048576 group1-shard68of138.bin
039adb64d6531f300214eb4bfada0657686ff02c1f7983beb0d6c85b77b1af13 1048576 group1-shard69of138.bin
675bc7cc53dc23647dbbc91e70cc5ae5d5af8646ce5d4b1891dd6c7e0ed5d3d9 1048576 group1-shard70of138.bin
59e35ff95935e04ad18f7f6e2dfb1e7c8f6f8f6bf8fc241ced1a0e62a1f225b7 1048576 group1-shard71of138.bin
8c46e3501762ac975670aadc725df9de2a6280eeee51993ee82449640d29ffee 1048576 group1-shard72of138.bin
4c08cfa528f9eb54e5f7ba1555191b1fbe03696463c19a470469a38b2af30750 1048576 group1-shard73of138.bin
340a0a8a4c989cfa542b3ff961c967396687bf19d13debe2c1d1ee82f8ff382d 1048576 group1-shard74of138.bin
6b17d59289db59e961c0f014d3d7d77db458fa7a5bd1e67019ecc44829f9ed7c 1048576 group1-shard75of138.bin
a4f89246cbdcae81bdc85349b504c9b554191d0449f1328c02bbc46035108fa6 1048576 group1-shard76of138.bin
ed0431412da46b463f1e3d6c33ccb3517bca5366da1704fd7eda73871a9f6da7 1048576 group1-shard77of138.bin
c3c4e7a7a29b29982bc7012b41442c767bb81a14fad48e1a88b2e202dfdb8ac2 1048576 group1-shard78of138.bin
a2a1931b61a372e5eaa172b84d722dc1cb319809ca0cfcf6b3b28d6f79477b82 1048576 group1-shard79of138.bin
0e556927abea5ea6a5f101bf5bdd1770ccc4fcd43c1c3638722d77b359a556ab 1048576 group1-shard80of138.bin
aebd03b39aaff2524f63047355a1666fa64109e1d994b46310665bb48a445662 1048576 group1-shard81of138.bin
f0b6b9d3ee28623db6ecf36cf54bf27a1504faad2bf079276c76617d8331c4f7 1048576 group1-shard82of138.bin
443c1c56fb3e6e35ada2540197a89a6f0dbb276f83cb37a1de9b25688c545fbb 1048576 group1-shard83of138.bin
03bf4ce35410c5c4430cc22a42b48220a17f4dbe6aaa36e21afb19b31b0c8f43 1048576 group1-shard84of138.bin
8c46a3409c0f9a60cdcf37834152d6bfe5102a053cadbd04af0036cbfa3da9d5 1048576 group1-shard85of138.bin
72b797c9416e35c9123ce78df6654fe862e3df4a31158047a13c5603d7236d36 1048576 group1-shard86of138.bin
c14ff502a86b750fb89e2d150523cde8b12f80d20613c28f2a3a08fab393c96d 1048576 group1-shard87of138.bin
e7a5e9b9be358f81fed2c83b5c1fb47c683fd71a985b9703830ff416692eb10d 1048576 group1-shard88of138.bin
3f576a8010747f182b3ecbb24cd2b59a461ff922aa2c01bfed6945565a194d07 1048576 group1-shard89of138.bin
4ba58ba38d64ab8b4966007e3f81f7ba6271d0629de77b2b8622e1f2aef5945d 1048576 group1-shard90of138.bin
54b04e59af4018e55b14a37321e836362aec626caca68062ef7eb54b56b32abb 1048576 group1-shard91of138.bin
161d5e6775c7332075175238d771af1fce9682ddb1b77a80d3b4a0207ca16229 1048576 group1-shard92of138.bin
6152ef62bc533f058de30020d5599350d4b2c33b07c73c8e7eced0ace00a9670 1048576 group1-shard93of138.bin
02242043d598d4d80e975c5674eb7b45605e4d669cead649a10d1d9214aa53f6 1048576 group1-shard94of138.bin
657e8b4a0c27a7e963b113cd70e3f89eda085ec8562aac66c7bf5ba62df23b82 1048576 group1-shard95of138.bin
4e5da9e48feb59383e86727a08b12d1c24ef5c103d648f7acff4e657ef5454a2 1048576 group1-shard96of138.bin
8178158bb103b0cf44e112610b93e4d63d3059867b8a360a822cf00ee75b3287 1048576 group1-shard97of138.bin
fb83686777c5dd5d804d7c8d4f02060fdbd310d77cddffe30d44a4c147943ca6 1048576 group1-shard98of138.bin
2849b8c32cb4c564e24e6fa6db8589d781ea26a2884c6851b8ffd9d300493252 1048576 group1-shard99of138.bin
5eb557c3f7bdc7a0d41aa4ada5f025cff9bb906c27f9122b96610397ea80dd19 1048576 group1-shard100of138.bin
5819f4f7b272d3cfd00990a77dd51bbcd4e8340ee8ec36fe76425829454fcfef 1048576 group1-shard101of138.bin
6a47e139c7f52326ea7e38f2a5bfe967f3ccf6d1cf38854915438abe8c45c4b1 1048576 group1-shard102of138.bin
c213a1978e42c3652f669f88eb9769d7eedae834d3cf95886895027fa09ce525 1048576 group1-shard103of138.bin
b0c440e3fb9ea119d4082fd7a2f5677349d731651e7e8d678e3ba4659e409e3e 1048576 group1-shard104of138.bin
d7099de2dd65ff46aee6b122f7cf37c83c039a0c3e860786b97b0affdafb4fa2 1048576 group1-shard105of138.bin
2dfa59075dfa04ad935da2c281131c8454aa5b1db3b29de987bebc9d8ad0d22e 1048576 group1-shard106of138.bin
fc17eead7fcba81bb502e9ede8f7e3207dfdb2102d91f901202a1009d685616d 1048576 group1-shard107of138.bin
1dedd249af2b08639ddbbebf5e36bde317c6706240d31af909f8b14d490db297 1048576 group1-shard108of138.bin
bab221f175993ca799072a6e0e8d1d179460907e1b5468a209ca39df5740ed89 1048576 group1-shard109of138.bin
3c0e39cb53aba85a47643d0e7ba2f2127fd2d8dda1dea5df1d4f5f96d9c1ea47 1048576 group1-shard110of138.bin
848b3b3c2eeef7b4080b114b01c390aa0e2b782e98908f03403abf99843b7660 1048576 group1-shard111of138.bin
0b5a13b8f00b68b111ec422b230256a48e88dc0f6ab651abf18469b5442a91d4 1048576 group1-shard112of138.bin
af3444ed8bf36a13c6acc5fc4003fe164edfe845664d3b066ecea0f976f29028 1048576 group1-shard113of138.bin
ec385df4d060b41a7fc735e5dfa142f82fc68a53c006e97a6cd82db02d90b455 1048576 group1-shard114of138.bin
77641e204547984351586e4f04054b26f13e08d5129fbe3f18a2770c495c2f46 1048576 group1-shard115of138.bin
0c593998e57738d1fc3f138b30488b98e891fc0b8dc88811eb812e28dc75f146 1048576 group1-shard116of138.bin
eeb0b58cd1df3c8b420e11a2625c619adafea7bdfc06927ed943ac605d1882ff 1048576 group1-shard117of138.bin
e62f55ce67f5e0ba1ae5f8e549dc0381571a7ea8e1db3018c35dca1d70edb500 1048576 group1-shard118of138.bin
5038474644d51ed7c9b8c5d4861a472feef349845bedb858ee11295f751d71d7 1048576 group1-shard119of138.bin
bfac5e9b4d4d402a2f6d772dad54f10945e9a5b39499c058cb4a82e70a8a4222 1048576 group1-shard120of138.bin
b93887d8004dff1a388a4fb0103631e7c63c266f434ca02c4793161ad6d3a659 1048576 group1-shard121of138.bin
4b349458a738de9934ad2270b8f2e6664c30bbd67e4906afb0772d96af5453cc 1048576 group1-shard122of138.bin
68fe274402c3d711bb7c4fd672ba291b473f48e0aa4d56f5dfb6e77cd0ae1bfd 1048576 group1-shard123of138.bin
a20fd6d4921ae080dcee58f7040cafb72374c871c5796a157e3f8a05fd3e2589 1048576 group1-shard124of138.bin
0ec4d4e7d1b1bad5de74ff257b1eebb71555cc54b41b88291918e85d786d88ec 1048576 group1-shard125of138.bin
14aef09963b0e5aa475ee920ec0fc6ccb4b5502ca72db78b0303c3c61fc3ef17 1048576 group1-shard126of138.bin
c7f3530ef790739e127b03cb9225961a0d996dc0baff1b327b95c2bed804a9f6 1048576 group1-shard127of138.bin
361d8a78d0775046593bc1b990e696287c0e3cd7b1da6d5c3348bee0291c1c4a 1048576 group1-shard128of138.bin
fb549128f4722522add1719bc4db6625729a20d7a4957aa6c8b0a5ae9f123ad1 1048576 group1-shard129of138.bin
c29d28206260a9e96aff2817f0e237e5fa627035111cc724cacb865490193400 1048576 group1-shard130of138.bin
8bca28415937b3b1d14ecc6dd6429987192762e7e4f14f40df4dfdce0d95579b 1048576 group1-shard131of138.bin
10a06d06dd3de129b7b601c8dbbbebfed16bf20694d31460cf63d6b5fd22dff9 1048576 group1-shard132of138.bin
c77bdaf906ea53b11bcaf6c37767e157bdcfba33f288d5a940ed7ee1310bd8a4 1048576 group1-shard133of138.bin
104c32b4b09ba4d0a53f0079e9faaad29e784853ab0197b63921f609d4ef82f6 1048576 group1-shard134of138.bin
6c9da3ce7af06f8ec8e0756aaa063d1c53c76d6d85f709cb03a7bdb0034860a0 1048576 group1-shard135of138.bin
3158ecdd66ddd045fd871694c43ef9a0b62b9ccb4461242f971b7840d9dd7d7b 1048576 group1-shard136of138.bin
2e770a66c25760108383cf54a28930f3c7c4ead5c7b454a459945be65d8fe4a2 1048576 group1-shard137of138.bin
461a1003a201b86ae1267e29c467ae60fc1d74a5060189be2c9bf9eac50b3d38 12328 group1-shard138of138.bin
`
