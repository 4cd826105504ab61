# VMT as publicly released, Swin-L (checkpoint_swinl_final.pth; HQ-YTVIS test AP^B 44.8,
# AP^M 64.8 as reported by the release). The released Swin-L refiner differs from the
# ResNet one: its stride-4 map is Swin's first stage (192 channels), and its stride-2 map is
# that stage upsampled x2 and compressed by a 1x1 conv (``hr_compress``; the release's
# ``lay_compress``). Convert and test as in vmt-release_r50_8xb2-12e_hq-ytvis.py:
#   python tools/model_converters/vmt_release2mmvmt.py checkpoint_swinl_final.pth \
#       checkpoints/vmt-release_swin-l_hq-ytvis.pth \
#       --config configs/vmt/vmt-release_swin-l_8xb2-12e_hq-ytvis.py
_base_ = './vmt_swin-l_8xb2-12e_hq-ytvis.py'
model = dict(
    type='VMTRelease',
    # the release runs each video unpadded (its batch is one video of equal-size frames);
    # padding to 32 would change every feature grid the refiner reads
    data_preprocessor=dict(pad_size_divisor=1),
    # it reads the backbone's raw stride-4 output: no refine_neck
    refine_neck=None,
    refine_head=dict(
        _delete_=True,
        type='VMTReleaseRefineHead',
        in_channels=256,
        f4_channels=192,  # Swin stage 0
        inst_channels=256,
        point_channels=64,
        mask_channels=8,
        hr_from_f4=True,
        max_points=12000,
        encoder=dict(
            num_layers=3,
            layer_cfg=dict(
                self_attn_cfg=dict(
                    embed_dims=64, num_heads=4, attn_drop=0.1,
                    dropout_layer=dict(type='Dropout', drop_prob=0.1), batch_first=True),
                ffn_cfg=dict(embed_dims=64, feedforward_channels=2048, ffn_drop=0.1)))),
    test_cfg=dict(max_per_video=10))
